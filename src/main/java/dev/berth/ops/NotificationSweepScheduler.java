package dev.berth.ops;

import dev.berth.registry.events.NotificationProperties;
import dev.berth.registry.events.RegistryNotifications;
import org.springframework.stereotype.Component;

/**
 * Sweeps the notification outboxes on every replica at {@code berth.notifications.sweep-interval}, when any
 * endpoint is configured (a lease per endpoint lets one replica sweep it at a time).
 */
@Component
class NotificationSweepScheduler extends StaggeredSchedule {

    private final RegistryNotifications notifications;

    NotificationSweepScheduler(RegistryNotifications notifications, NotificationProperties properties) {
        super("notification sweep", "berth-notify-sweep", !properties.endpoints().isEmpty(),
                properties.sweepInterval());
        this.notifications = notifications;
    }

    @Override
    void runOnce() {
        notifications.sweep();
    }
}
