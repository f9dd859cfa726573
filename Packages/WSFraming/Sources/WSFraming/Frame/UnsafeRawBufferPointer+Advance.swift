extension UnsafeRawBufferPointer {
    /// The first `count` bytes, by pointer arithmetic (no generic slicing on the hot path).
    /// - Precondition: `count <= self.count`.
    @inline(__always)
    func leading(_ count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: baseAddress, count: count)
    }

    /// Everything after the first `count` bytes.
    /// - Precondition: `count <= self.count`.
    @inlinable @inline(__always)
    func dropping(_ count: Int) -> UnsafeRawBufferPointer {
        guard let base = baseAddress else { return self }
        return UnsafeRawBufferPointer(start: base + count, count: self.count &- count)
    }

    /// An empty buffer at the end of this one.
    @inlinable @inline(__always)
    var emptyEnd: UnsafeRawBufferPointer { dropping(count) }
}
