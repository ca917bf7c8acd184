import Foundation

/// Runs a fuzz entry point over files, for builds without libFuzzer: each argument is a
/// file, or a directory whose files are read in name order. The seed corpora and every
/// crash found become regression inputs this way (`scripts/fuzz --replay`, and the suite).
public func replay(_ arguments: [String], _ entry: (UnsafeRawBufferPointer) -> Void) -> Int32 {
    var files: [String] = []
    for argument in arguments {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
            FileHandle.standardError.write(Data("fuzz: \(argument): no such file\n".utf8))
            return 1
        }
        if isDirectory.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []
            files += names.sorted().map { argument + "/" + $0 }
        } else {
            files.append(argument)
        }
    }
    for file in files {
        guard let data = FileManager.default.contents(atPath: file) else { continue }
        data.withUnsafeBytes { entry($0) }
    }
    print("replayed \(files.count) inputs")
    return 0
}

/// A failed invariant: printed, then a trap, which libFuzzer records as a crash.
public func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        FileHandle.standardError.write(Data("fuzz invariant failed: \(message())\n".utf8))
        fatalError(message())
    }
}

/// libFuzzer's input as a buffer, handed to a target's `fuzzOne`; 0, as libFuzzer expects.
public func fuzzInput(_ data: UnsafePointer<UInt8>, _ size: Int, _ body: (UnsafeRawBufferPointer) -> Void) -> Int32 {
    body(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// The replay program's main: the command line's files and directories through `body`.
public func replayMain(_ body: (UnsafeRawBufferPointer) -> Void) -> Never {
    exit(replay(Array(CommandLine.arguments.dropFirst()), body))
}

/// A release build's stand-in for a target (its @testable imports need a debug build).
public func releaseStub() -> Never {
    FileHandle.standardError.write(Data("fuzz targets are built in debug mode: scripts/fuzz, or swift build\n".utf8))
    exit(2)
}
