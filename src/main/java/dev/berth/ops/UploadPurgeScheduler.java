package dev.berth.ops;

import dev.berth.registry.upload.UploadProperties;
import dev.berth.registry.upload.UploadPurge;
import org.springframework.stereotype.Component;

/** Runs the upload purge on every replica at the configured interval (its lease lets one purge at a time). */
@Component
class UploadPurgeScheduler extends StaggeredSchedule {

    private final UploadPurge purge;

    UploadPurgeScheduler(UploadPurge purge, UploadProperties properties) {
        super("upload purge", "berth-upload-purge", properties.purge().enabled(), properties.purge().interval());
        this.purge = purge;
    }

    @Override
    void runOnce() {
        purge.run();
    }
}
