// The targets reach internal API with @testable import, which only a debug build allows
// (scripts/fuzz builds debug with the sanitizer); a release build gets a stub that says so.
#if DEBUG
import Foundation
import FuzzSupport
import NameIndexServer

/// The TOML configuration loader (TOMLKit and our checks): any text is a configuration or
/// a ConfigurationError, never a crash; a loaded one renders for --check-config.
func fuzzOne(_ data: UnsafeRawBufferPointer) {
    guard let text = String(validating: data, as: UTF8.self) else { return }
    var configuration = Configuration(
        defaults: ConfigurationDefaults(coreCount: 2, runtimeDirectory: "/run/nameindexd", stateDirectory: "/var/lib/nameindexd"))
    do {
        try ConfigurationLoader().parse(text, file: "/etc/nameindexd/fuzz.toml", into: &configuration)
        _ = configuration.renderedTOML()
    } catch is ConfigurationError {
    } catch {
        fuzzCheck(false, "the loader threw something other than ConfigurationError: \(error)")
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEntry(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 { fuzzInput(data, size, fuzzOne) }
#else
@main struct Replay { static func main() { replayMain(fuzzOne) } }
#endif
#else
import FuzzSupport

@main struct ReleaseStub { static func main() { releaseStub() } }
#endif
