import ArgumentParser
import NameIndexProtocol

/// `namectl`: query and control nameindexd.
@main
struct NameControl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "namectl",
        abstract: "Query and control the nameindexd name index.",
        discussion: """
            Talks to nameindexd over its control socket (varlink). The socket is --socket, \
            else $NAMEINDEXD_SOCKET, else (for a non-root user whose own daemon runs) \
            $XDG_RUNTIME_DIR/nameindexd/control, else /run/nameindexd/control. See namectl(1).
            """,
        version: ProductInfo.version,
        subcommands: [Status.self, Get.self, Namespaces.self, Reload.self, Metrics.self, Misses.self, Explain.self, Skipped.self, Annotate.self],
        defaultSubcommand: Status.self)

    /// Options given before the verb (`namectl --socket P get …`); each verb merges them with its own.
    @OptionGroup var global: GlobalOptions
}
