package dev.berth.ops;

import dev.berth.storage.StorageDriver;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wraps the storage driver in {@link MeteredStorageDriver}, so the storage layer itself knows no metrics. */
@Configuration(proxyBeanMethods = false)
class StorageMetricsPostProcessor {

    @Bean
    static BeanPostProcessor meteredStorageDriver(ObjectProvider<MeterRegistry> registry) {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String beanName) {
                if (bean instanceof StorageDriver driver && !(bean instanceof MeteredStorageDriver)) {
                    return new MeteredStorageDriver(driver, registry.getObject());
                }
                return bean;
            }
        };
    }
}
