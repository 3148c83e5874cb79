package dev.berth.ops;

import dev.berth.api.RouteParsingFilter;
import io.micrometer.common.KeyValue;
import org.springframework.http.server.observation.DefaultServerRequestObservationConvention;
import org.springframework.http.server.observation.ServerRequestObservationContext;
import org.springframework.stereotype.Component;

/**
 * Tags HTTP server metrics with the API route's template ({@code /v2/{name}/blobs/{digest}}), never the
 * request's repository, digest or upload id, so the number of series stays bounded.
 */
@Component
class RouteTemplateObservationConvention extends DefaultServerRequestObservationConvention {

    @Override
    protected KeyValue uri(ServerRequestObservationContext context) {
        return RouteParsingFilter.parsedRoute(context.getCarrier())
                .map(route -> KeyValue.of("uri", route.kind().template()))
                .orElseGet(() -> super.uri(context));
    }
}
