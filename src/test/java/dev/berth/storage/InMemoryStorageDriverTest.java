package dev.berth.storage;

import dev.berth.support.InMemoryStorageDriver;

/** The test store in memory keeps the driver contract too, so tests of rules built on it mean something. */
class InMemoryStorageDriverTest extends StorageDriverContract {

    private final InMemoryStorageDriver driver = new InMemoryStorageDriver();

    @Override
    protected StorageDriver driver() {
        return driver;
    }
}
