package dev.berth.ops;

import dev.berth.registry.upload.PurgeReport;
import dev.berth.registry.upload.UploadPurge;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.stereotype.Component;

/** {@code POST /actuator/uploadpurge} on the management port: run the purge now and see what it did. */
@Component
@Endpoint(id = "uploadpurge")
public class UploadPurgeEndpoint {

    private final UploadPurge purge;

    UploadPurgeEndpoint(UploadPurge purge) {
        this.purge = purge;
    }

    @WriteOperation
    public PurgeReport purge() {
        return purge.run();
    }
}
