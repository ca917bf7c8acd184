import ArgumentParser
import Foundation
import Logging
import NameIndexProtocol
import NameIndexServer
import Systemd

/// The daemon: parse flags, settle the configuration, run the service group.
@main
struct NameIndexDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nameindexd",
        abstract: "Keep an id → name index in memory and serve it on Unix sockets.",
        discussion: """
            Without --config, root reads /etc/nameindexd/nameindexd.toml (and conf.d/*.toml beside it); \
            other users get the bundled demo configuration. Under systemd, $CONFIGURATION_DIRECTORY, \
            $RUNTIME_DIRECTORY and $STATE_DIRECTORY set the defaults. See nameindexd(8).
            """,
        version: ProductInfo.version)

    @Option(name: .long, help: ArgumentHelp("Read the configuration from this file (and conf.d/ beside it).", valueName: "path"))
    var config: String?

    @Option(name: .customLong("runtime-dir"), help: ArgumentHelp("Put the sockets in this directory.", valueName: "dir"))
    var runtimeDirectory: String?

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("Keep the snapshot in this directory.", valueName: "dir"))
    var stateDirectory: String?

    @Flag(name: .customLong("check-config"), help: "Validate the configuration, print the effective configuration (every key, defaults included) and exit.")
    var checkConfig = false

    @Option(name: .customLong("log-level"), help: ArgumentHelp("One of trace, debug, info, notice, warning, error, critical.", valueName: "level"))
    var logLevel: String = "info"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level: expected one of trace, debug, info, notice, warning, error, critical")
        }
        let environment = ProcessInfo.processInfo.environment
        let output = DaemonLogHandler.Output.detect(journalStream: environment["JOURNAL_STREAM"])
        LoggingSystem.bootstrap { DaemonLogHandler(label: $0, level: level, output: output) }
        let logger = Logger(label: "nameindexd")

        let defaults = DaemonPaths.defaults(uid: getuid(), environment: environment)
        let configurationFile: String
        var isDemo = false
        if let config {
            configurationFile = config
        } else if let file = defaults.configurationFile {
            configurationFile = file
        } else if let demo = DaemonPaths.demoConfigurationFile(executable: Self.executablePath()) {
            configurationFile = demo
            isDemo = true
        } else {
            Self.fail("No configuration: pass --config PATH. The bundled demo configuration (examples/demo/nameindexd.toml) was not found beside this executable.")
        }

        var configuration: Configuration
        do {
            configuration = try ConfigurationLoader().load(
                path: configurationFile,
                defaults: ConfigurationDefaults(
                    coreCount: System.coreCount, runtimeDirectory: defaults.runtimeDirectory,
                    stateDirectory: defaults.stateDirectory))
        } catch let error as ConfigurationError {
            if error.code == .fileNotFound && error.file == URL(fileURLWithPath: configurationFile).standardizedFileURL.path {
                Self.fail("Failed to read configuration \(error.file): no such file. Create it (see nameindexd.toml(5)) or pass --config PATH.")
            }
            Self.fail("Invalid configuration: \(error)")
        }

        // The command line wins over the files.
        if let runtimeDirectory { configuration.daemon.runtimeDirectory = runtimeDirectory }
        if let stateDirectory { configuration.daemon.stateDirectory = stateDirectory }
        let runtimeDirectory = configuration.daemon.runtimeDirectory
        let stateDirectory = configuration.daemon.stateDirectory
        if checkConfig {
            print(configuration.renderedTOML(), terminator: "")
            return
        }
        if configuration.sources.isEmpty {
            logger.warning("The configuration defines no [[source]]; serving an empty index.")
        }

        var settings = DaemonSettings(
            configuration: configuration, runtimeDirectory: runtimeDirectory, stateDirectory: stateDirectory)
        settings.listenDescriptors = ListenFileDescriptors.take()
        // Under socket activation the socket unit owns the directory and the socket files.
        if settings.bindsItsOwnSockets {
            do {
                try FileManager.default.createDirectory(
                    atPath: runtimeDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            } catch {
                Self.fail("Failed to create the runtime directory \(runtimeDirectory): \(error.localizedDescription)")
            }
        }
        logger.info(
            "nameindexd \(ProductInfo.version) starting with \(configuration.sources.count) sources from \(configurationFile)\(isDemo ? " (the bundled demo)" : "").")
        logger.info("Control socket: \(settings.controlSocketPath). Try: \(Self.namectlCommand()) --socket \(settings.controlSocketPath) status")
        if settings.servesLookupSocket {
            logger.info("Lookup socket (Redis protocol): \(settings.lookupSocketPath). Try: redis-cli -s \(settings.lookupSocketPath) INFO keyspace")
        }
        do {
            try await makeServiceGroup(settings: settings, logger: logger).run()
        } catch {
            logger.error("\(error)")
            throw ExitCode.failure
        }
    }

    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// `namectl`, or its full path when it sits beside this executable (a build tree), so the hint pastes as is.
    static func namectlCommand() -> String {
        let sibling = URL(fileURLWithPath: executablePath()).deletingLastPathComponent().appendingPathComponent("namectl").path
        return FileManager.default.isExecutableFile(atPath: sibling) ? sibling : "namectl"
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("nameindexd: \(message)\n".utf8))
        Foundation.exit(1)
    }
}
