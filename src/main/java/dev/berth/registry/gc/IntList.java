package dev.berth.registry.gc;

import java.util.Arrays;

/** A growable list of ints, without the 16 bytes and more an {@code Integer} in a list costs each. */
final class IntList {

    private int[] values = new int[16];
    private int size;

    void add(int value) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = value;
    }

    int get(int index) {
        return values[index];
    }

    int size() {
        return size;
    }

    int removeLast() {
        return values[--size];
    }

    void clear() {
        size = 0;
    }
}
