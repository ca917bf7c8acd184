/// Where a parsed field's bytes are: still in the line as read, or copied out
/// into the parser's scratch buffer because unescaping changed them (a CSV
/// `""`, a JSON `\n`). Ranges, not pointers, so the scratch buffer may grow.
enum FieldBytes {
    case inLine(Range<Int>)
    case decoded(Range<Int>)

    func bytes(_ line: UnsafeRawBufferPointer, _ scratch: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        switch self {
        case .inLine(let r): UnsafeRawBufferPointer(rebasing: line[r])
        case .decoded(let r): UnsafeRawBufferPointer(rebasing: scratch[r])
        }
    }
}
