package dev.berth.memory;

/** A request waited for its share of the {@link MemoryBudget} in vain: the replica is overloaded. */
public class BudgetExhaustedException extends RuntimeException {

    public BudgetExhaustedException(String message) {
        super(message);
    }
}
