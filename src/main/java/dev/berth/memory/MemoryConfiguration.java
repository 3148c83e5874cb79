package dev.berth.memory;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The replica's one {@link MemoryBudget}, and the {@link BufferPool} streams draw from it. */
@Configuration(proxyBeanMethods = false)
class MemoryConfiguration {

    @Bean
    MemoryBudget memoryBudget(MemoryProperties properties) {
        return new MemoryBudget(properties.budgetBytes(), properties.maxWait());
    }

    @Bean
    BufferPool bufferPool(MemoryBudget budget) {
        return new BufferPool(budget);
    }
}
