package dev.berth.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.memory.BudgetExhaustedException;
import dev.berth.registry.Digest;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.upload.UploadOutOfOrderException;
import dev.berth.registry.upload.UploadStatus;
import dev.berth.storage.ObjectNotFoundException;
import dev.berth.storage.StorageException;
import dev.berth.storage.VersionConflictException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.web.server.ResponseStatusException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Every kind of failure and the answer it gets: status, error code, message, detail and headers. */
class OciErrorHandlerTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final RepositoryName REPO = new RepositoryName("errors/app");

    private final OciErrorHandler handler = new OciErrorHandler(JSON);

    @Test
    void aRegistryErrorGetsItsCodesStatusMessageAndDetail() throws Exception {
        MockHttpServletResponse response = answer(new RegistryException(ErrorCode.DIGEST_INVALID, "no match",
                "sha256:abc"), request("PUT"));

        assertThat(response.getStatus()).isEqualTo(400);
        assertThat(response.getContentType()).isEqualTo("application/json");
        assertBody(response, "DIGEST_INVALID", "no match");
        assertThat(body(response).get("detail").asString()).isEqualTo("sha256:abc");
        assertThat(response.getHeaderNames()).doesNotContain("Retry-After", "Location", "Allow");
    }

    @Test
    void aCodeSpelledOtherwiseInTheSpecIsSentAsTheSpecSpellsIt() throws Exception {
        MockHttpServletResponse response = answer(new RegistryException(ErrorCode.MANIFEST_TOO_LARGE, "too big"),
                request("PUT"));

        assertThat(response.getStatus()).isEqualTo(413);
        assertBody(response, "SIZE_INVALID", "too big");
    }

    @Test
    void aChunkOutOfOrderTellsWhereTheUploadStandsAsAnAcceptedChunkDoes() throws Exception {
        UploadStatus status = new UploadStatus(REPO, "the-id", 10, Digest.sha256("a".repeat(64)));
        MockHttpServletResponse response = answer(new UploadOutOfOrderException(status, "resume from 10"),
                request("PATCH"));

        assertThat(response.getStatus()).isEqualTo(416);
        assertBody(response, "RANGE_INVALID", "resume from 10");
        assertThat(response.getHeader("Location")).isEqualTo("/v2/errors/app/blobs/uploads/the-id")
                .isEqualTo(status.location());
        assertThat(response.getHeader("Range")).isEqualTo("0-9");
        assertThat(response.getHeader("Docker-Upload-UUID")).isEqualTo("the-id");
        assertThat(response.getHeader("Berth-Upload-Committing")).isEqualTo("sha256:" + "a".repeat(64));
    }

    @Test
    void aMethodTheRouteDoesNotTakeListsTheOnesItDoes() throws Exception {
        MockHttpServletResponse response = answer(new MethodNotAllowedException("POST", "GET", "HEAD"),
                request("POST"));

        assertThat(response.getStatus()).isEqualTo(405);
        assertBody(response, "UNSUPPORTED", "POST is not supported here; use GET, HEAD");
        assertThat(response.getHeader("Allow")).isEqualTo("GET, HEAD");
    }

    @Test
    void aRangeOutsideTheBlobTellsItsSize() throws Exception {
        MockHttpServletResponse response = answer(new RangeNotSatisfiableException(42), request("GET"));

        assertThat(response.getStatus()).isEqualTo(416);
        assertBody(response, "RANGE_INVALID", "the requested range lies outside the blob's 42 bytes");
        assertThat(response.getHeader("Content-Range")).isEqualTo("bytes */42");
    }

    @Test
    void dataDeletedWhileServedIsUnknownNotBroken() throws Exception {
        MockHttpServletResponse response = answer(new ObjectNotFoundException("blobs/x/data"), request("GET"));

        assertThat(response.getStatus()).isEqualTo(404);
        assertBody(response, "BLOB_UNKNOWN", "the requested data was deleted while the request was served");
        assertThat(response.getHeader("Retry-After")).isNull();
    }

    @Test
    void aFailingStoreIsUnavailableForAMoment() throws Exception {
        for (StorageException failure : List.of(new StorageException("disk on fire"),
                new VersionConflictException("repositories/x/link"))) {
            MockHttpServletResponse response = answer(failure, request("GET"));

            assertThat(response.getStatus()).as(failure.toString()).isEqualTo(503);
            assertBody(response, "UNAVAILABLE", ErrorCode.UNAVAILABLE.message());
            assertThat(response.getHeader("Retry-After")).isEqualTo("1");
        }
    }

    @Test
    void aSpentMemoryBudgetMakesTheRegistryBusy() throws Exception {
        MockHttpServletResponse response = answer(new BudgetExhaustedException("waited 5s"), request("PATCH"));

        assertThat(response.getStatus()).isEqualTo(429);
        assertBody(response, "TOOMANYREQUESTS", "the registry is busy; retry shortly");
        assertThat(response.getHeader("Retry-After")).isEqualTo("1");
    }

    @Test
    void aBodyThatCameTooSlowlyIsARequestTimeoutWhateverTheError() throws Exception {
        MockHttpServletRequest request = request("PATCH");
        request.setAttribute(OciErrorHandler.BODY_TOO_SLOW, Boolean.TRUE);

        MockHttpServletResponse response = answer(new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID, "broke off"),
                request);

        assertThat(response.getStatus()).isEqualTo(408);
        assertBody(response, "BLOB_UPLOAD_INVALID", "broke off");
    }

    @Test
    void springsOwnRefusalKeepsItsStatus() throws Exception {
        MockHttpServletResponse response = answer(new ResponseStatusException(HttpStatus.NOT_FOUND), request("GET"));

        assertThat(response.getStatus()).isEqualTo(404);
        assertBody(response, "UNSUPPORTED", "no such resource");
    }

    @Test
    void anythingElseIsAnInternalError() throws Exception {
        MockHttpServletResponse response = answer(new IllegalStateException("a bug"), request("GET"));

        assertThat(response.getStatus()).isEqualTo(500);
        assertBody(response, "UNKNOWN", "internal error; the registry's log has the details");
    }

    @Test
    void aHeadRequestGetsTheStatusAndLengthButNoBody() throws Exception {
        MockHttpServletResponse response = answer(new StorageException("down"), request("HEAD"));

        assertThat(response.getStatus()).isEqualTo(503);
        assertThat(response.getContentLength()).isPositive();
        assertThat(response.getContentAsByteArray()).isEmpty();
    }

    @Test
    void aResponseAlreadyCommittedIsLeftAsItIs() throws Exception {
        for (Exception failure : List.of(new StorageException("down"), new IllegalStateException("client left"),
                new RegistryException(ErrorCode.BLOB_UNKNOWN, "gone"))) {
            MockHttpServletResponse response = new MockHttpServletResponse();
            response.setStatus(200);
            response.setCommitted(true);

            handler.handle(failure, request("GET"), response);

            assertThat(response.getStatus()).as(failure.toString()).isEqualTo(200);
            assertThat(response.getContentAsByteArray()).isEmpty();
            assertThat(response.getHeader("Retry-After")).isNull();
        }
    }

    private MockHttpServletResponse answer(Exception failure, MockHttpServletRequest request) throws Exception {
        MockHttpServletResponse response = new MockHttpServletResponse();
        handler.handle(failure, request, response);
        return response;
    }

    private static MockHttpServletRequest request(String method) {
        return new MockHttpServletRequest(method, "/v2/errors/app/blobs/uploads/the-id");
    }

    private static JsonNode body(MockHttpServletResponse response) {
        JsonNode errors = JSON.readTree(response.getContentAsByteArray()).get("errors");
        assertThat(errors.size()).isEqualTo(1);
        return errors.get(0);
    }

    private static void assertBody(MockHttpServletResponse response, String code, String message) {
        assertThat(body(response).get("code").asString()).isEqualTo(code);
        assertThat(body(response).get("message").asString()).isEqualTo(message);
        assertThat(response.getContentLength()).isEqualTo(response.getContentAsByteArray().length);
    }
}
