package dev.berth.ui;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;

/** Marks a part of the web UI that exists only while {@code berth.ui.enabled} is true (the default). */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@ConditionalOnProperty(prefix = "berth.ui", name = "enabled", havingValue = "true", matchIfMissing = true)
@interface UiEnabled {
}
