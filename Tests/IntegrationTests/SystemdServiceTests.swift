#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// nameindexd as installed by `make install`, run by a real systemd (see SystemdBox): socket
/// activation, readiness, reload, the watchdog, the sandbox, credentials, the journal, stop.
@Suite(.serialized) struct SystemdServiceTests {
    /// `systemd-analyze verify` is clean and `security --offline=yes` rates the service ≤ 2.0.
    @Test func theUnitsVerifyAndScore() throws {
        let check = try spawnAndWait(
            "/usr/bin/env", ["BINPATH=\(Products.directory.path)", Products.packageRoot.appendingPathComponent("scripts/check-units").path])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("systemd-analyze verify: clean"))
        #expect(check.stdout.contains("systemd-analyze security: exposure"))
    }

    /// `scripts/build-deb` packages what `make install` installs, under /usr.
    @Test func theDebianPackageHoldsTheInstallation() throws {
        let out = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("nameindex-deb-\(UUID())")
        defer { try? FileManager.default.removeItem(at: out) }
        let build = try spawnAndWait(
            "/usr/bin/env",
            ["BINPATH=\(Products.directory.path)", "DEB_COMPRESS=none", Products.packageRoot.appendingPathComponent("scripts/build-deb").path, out.path])
        try #require(build.status == 0, "scripts/build-deb: \(build.stderr)")
        let deb = build.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(deb.hasSuffix(".deb") && FileManager.default.fileExists(atPath: deb))
        let contents = try spawnAndWait("/usr/bin/dpkg-deb", ["-c", deb]).stdout
        for path in [
            "./usr/bin/nameindexd", "./usr/bin/namectl", "./usr/lib/systemd/system/nameindexd.service",
            "./usr/lib/systemd/system/nameindexd.socket", "./usr/lib/systemd/system/nameindexd-lookup.socket",
            "./usr/lib/systemd/system/nameindexd-reload.timer",
            "./usr/share/man/man8/nameindexd.8.gz", "./usr/share/man/man1/namectl.1.gz",
            "./usr/share/man/man5/nameindexd.toml.5.gz", "./usr/share/nameindexd/nameindexd.toml.example",
            "./usr/share/nameindexd/demo/nameindexd.toml",
            "./usr/share/bash-completion/completions/namectl", "./usr/share/zsh/vendor-completions/_namectl",
            "./usr/share/fish/vendor_completions.d/namectl.fish",
        ] {
            #expect(contents.contains(" \(path)\n"), "the package holds \(path)")
        }
        #expect(contents.contains("root/root"), "files belong to root")
        #expect(try spawnAndWait("/usr/bin/dpkg-deb", ["-f", deb, "Package"]).stdout == "nameindex\n")
        let tree = out.appendingPathComponent("tree").path
        try #require(try spawnAndWait("/usr/bin/dpkg-deb", ["-x", deb, tree]).status == 0)
        let unit = try String(contentsOfFile: "\(tree)/usr/lib/systemd/system/nameindexd.service", encoding: .utf8)
        #expect(unit.contains("\nExecStart=/usr/bin/nameindexd\n"))
        #expect(unit.contains("\nExecReload=/usr/bin/namectl reload --wait\n"))
        // The completions know every verb, and bash and fish read them.
        let bash = try String(contentsOfFile: "\(tree)/usr/share/bash-completion/completions/namectl", encoding: .utf8)
        for verb in ["status", "get", "reload", "misses", "explain", "skipped", "annotate"] {
            #expect(bash.contains(verb), "the bash completion offers \(verb)")
        }
        let loaded = try spawnAndWait(
            "/bin/bash", ["-c", "source \"$0\" && complete -p namectl", "\(tree)/usr/share/bash-completion/completions/namectl"])
        #expect(loaded.status == 0 && loaded.stdout.contains("namectl"), "\(loaded.stderr)")
        let zsh = try String(contentsOfFile: "\(tree)/usr/share/zsh/vendor-completions/_namectl", encoding: .utf8)
        #expect(zsh.hasPrefix("#compdef namectl"))
        let fish = try String(contentsOfFile: "\(tree)/usr/share/fish/vendor_completions.d/namectl.fish", encoding: .utf8)
        #expect(fish.contains("complete -c 'namectl'") && fish.contains("annotate"))
    }

    @Test(.enabled(if: getuid() == 0, "booting a private systemd needs root"))
    func theInstalledUnitsUnderARealSystemd() throws {
        let box = try SystemdBox()
        defer { box.tearDown() }

        // Install as a package would (the binaries of this build, or $NAMEINDEX_TEST_BINPATH's:
        // .build/release after `make` runs the same test on the release build), into a staging tree that the box mounts at /opt/nameindex.
        let stage = box.work.appendingPathComponent("stage")
        let install = try spawnAndWait(
            "/usr/bin/make",
            ["-C", Products.packageRoot.path, "--no-print-directory", "install", "PREFIX=\(SystemdBox.prefix)",
             "DESTDIR=\(stage.path)", "BINPATH=\(Self.installedBinaries)"])
        try #require(install.status == 0, "make install: \(install.stderr)")
        let installed = stage.appendingPathComponent(String(SystemdBox.prefix.dropFirst()))
        let unitDirectory = installed.appendingPathComponent("lib/systemd/system")
        for unit in try FileManager.default.contentsOfDirectory(atPath: unitDirectory.path) {
            try FileManager.default.copyItem(
                at: unitDirectory.appendingPathComponent(unit), to: box.units.appendingPathComponent(unit))
        }
        // The shipped units, with a short watchdog for the test and a credential.
        try box.write(unit: "nameindexd.service.d/test.conf", """
            [Service]
            WatchdogSec=3s
            TimeoutAbortSec=2s
            LoadCredential=greeting:/etc/nameindexd/greeting.txt

            """)
        let configuration = box.work.appendingPathComponent("config")
        try FileManager.default.createDirectory(at: configuration, withIntermediateDirectories: true)
        try """
            [[source]]
            name = "users"
            namespace = "user"
            kind = "file"
            path = "/etc/nameindexd/users.tsv"

            # The secret reaches the command through LoadCredential= and $CREDENTIALS_DIRECTORY.
            [[source]]
            name = "greeting"
            namespace = "secret"
            kind = "command"
            command = ["/bin/sh", "-c", "printf '1\\\\t%s\\\\n' \\"$(cat \\"$CREDENTIALS_DIRECTORY/greeting\\")\\""]

            """.write(to: configuration.appendingPathComponent("nameindexd.toml"), atomically: true, encoding: .utf8)
        try "1\tZoë Martin\n2\tAda\n".write(to: configuration.appendingPathComponent("users.tsv"), atomically: true, encoding: .utf8)
        try "open sesame".write(to: configuration.appendingPathComponent("greeting.txt"), atomically: true, encoding: .utf8)

        try box.boot(stage: installed)
        try #require(try box.run(["/bin/cp", "-r", configuration.path, "/etc/nameindexd"]).status == 0)
        try box.run(["/bin/chmod", "-R", "a+rX", "/etc/nameindexd"])
        let namectl = "\(SystemdBox.prefix)/bin/namectl"

        // Socket activation: the socket listens, the service has not started.
        let started = try box.systemctl("start", "nameindexd.socket", "nameindexd-lookup.socket")
        try #require(started.status == 0, "systemctl start nameindexd.socket nameindexd-lookup.socket: \(started.stderr)")
        #expect(try box.property("ActiveState", of: "nameindexd.socket") == "active")
        #expect(try box.property("ActiveState", of: "nameindexd-lookup.socket") == "active")
        #expect(try box.property("ActiveState", of: "nameindexd.service") == "inactive")

        // The first client starts the daemon and gets its answer once the index serves.
        let first = try box.run([namectl, "get", "user", "1"])
        let firstJournal = try box.journal("-u", "nameindexd.service", "-o", "cat").stdout
        #expect(first.status == 0, "\(first.stderr)\n\(firstJournal)")
        #expect(first.stdout == "1\tZoë Martin\n")
        // The index serves as soon as it is loaded; systemd marks the service active when it
        // has read READY=1, which may come a moment later: wait for that state.
        #expect(try box.wait(seconds: 60) { try box.property("ActiveState", of: "nameindexd.service") == "active" })
        #expect(try box.property("SubState", of: "nameindexd.service") == "running")
        // The lookup socket systemd passed speaks the Redis protocol.
        let redis = try box.run(["/usr/bin/redis-cli", "-s", "/run/nameindexd/lookup", "HGET", "user", "1"])
        #expect(redis.stdout == "Zoë Martin\n", "\(redis.stdout)\(redis.stderr)")
        let status = try box.property("StatusText", of: "nameindexd.service")
        #expect(status.hasPrefix("Serving"), "STATUS= \(status)")

        // The sandbox really runs: a dynamic user, the state directory, the credential.
        let mainPID = try box.property("MainPID", of: "nameindexd.service")
        let user = try box.run(["/bin/ps", "-o", "user:32=,uid=", "-p", mainPID]).stdout.split(separator: " ", omittingEmptySubsequences: true)
        #expect(user.first == "nameindexd", "the daemon runs as \(user)")
        if let uid = user.last.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) {
            #expect((61184...65519).contains(uid), "DynamicUser= allocates from 61184–65519, got \(uid)")
        } else {
            Issue.record("no uid in \(user)")
        }
        let secret = try box.run([namectl, "get", "secret", "1"])
        let secretStatus = try box.run([namectl, "status"]).stdout + (try box.journal("-u", "nameindexd.service", "-o", "cat").stdout)
        #expect(secret.stdout == "1\topen sesame\n", "\(secret.stderr)\n\(secretStatus)")
        // Any user may look up (the socket and its directory are open); only Reload is checked.
        let asNobody = try box.run(["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", namectl, "get", "user", "2"])
        #expect(asNobody.stdout == "2\tAda\n", "\(asNobody.stderr)")
        let snapshotWritten = try box.wait(seconds: 10) {
            try box.run(["/usr/bin/test", "-s", "/var/lib/private/nameindexd/index.snapshot"]).status == 0
        }
        #expect(snapshotWritten, "StateDirectory= holds the snapshot")

        // systemctl reload returns once the new generation serves.
        try box.run(["/bin/sh", "-c", "printf '1\\tZoë Martin-Lefèvre\\n2\\tAda\\n3\\tGrace\\n' > /etc/nameindexd/users.tsv"])
        let reload = try box.systemctl("reload", "nameindexd.service")
        #expect(reload.status == 0, "\(reload.stderr)")
        #expect(try box.run([namectl, "get", "user", "1", "3"]).stdout == "1\tZoë Martin-Lefèvre\n3\tGrace\n")
        let generation = try generationServed(box, namectl)
        #expect(generation == 2)

        // The journal has the structured fields.
        let entries = try box.journal("-u", "nameindexd.service", "SOURCE=users", "-o", "json").stdout
            .split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(!entries.isEmpty, "journalctl -u nameindexd SOURCE=users finds the source's lines")
        let loaded = entries.filter { ($0["ROWS"] as? String) != nil }
        #expect(loaded.contains { $0["ROWS"] as? String == "3" && $0["NAMESPACE"] as? String == "user" && $0["PRIORITY"] as? String == "6" })
        let generations = try box.journal("-u", "nameindexd.service", "GENERATION=2", "-o", "cat").stdout
        #expect(generations.contains("Generation 2 is serving"), "\(generations)")

        // 1,100 idle lookup connections from an unprivileged user, held while a reload runs and
        // its snapshot is written: nothing restarts, Status answers, memory stays bounded.
        let idle = """
            import resource, socket, sys, time
            hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            held = []
            for _ in range(1100):
                s = socket.socket(socket.AF_UNIX)
                s.connect("/run/nameindexd/lookup")
                held.append(s)
            print("open", len(held), flush=True)
            time.sleep(3600)
            """
        try idle.write(to: box.work.appendingPathComponent("idle.py"), atomically: true, encoding: .utf8)
        try box.run(["/bin/cp", box.work.appendingPathComponent("idle.py").path, "/tmp/idle.py"])
        try box.run(["/bin/sh", "-c", "setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 /tmp/idle.py > /tmp/idle.log 2>&1 &"])
        let held = try box.wait(seconds: 60) { try box.run(["/bin/cat", "/tmp/idle.log"]).stdout.contains("open 1100") }
        let idleLog = try box.run(["/bin/cat", "/tmp/idle.log"]).stdout
        #expect(held, "\(idleLog)")
        try box.run(["/bin/sh", "-c", "printf '1\\tZoë Martin-Lefèvre\\n2\\tAda\\n3\\tGrace\\n4\\tLin\\n' > /etc/nameindexd/users.tsv"])
        #expect(try box.systemctl("reload", "nameindexd.service").status == 0)
        #expect(try box.run([namectl, "get", "user", "4"]).stdout == "4\tLin\n")
        #expect(try box.wait(seconds: 10) {
            try box.journal("-u", "nameindexd.service", "-o", "cat").stdout.contains("Wrote snapshot of generation 3")
        })
        #expect(try box.property("NRestarts", of: "nameindexd.service") == "0")
        #expect(try generationServed(box, namectl) == 3)
        let resident = try box.run(["/bin/sh", "-c", "grep VmRSS /proc/\(mainPID)/status | tr -s ' ' | cut -d' ' -f2"]).stdout
        let residentKiB = Int(resident.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(residentKiB > 0 && residentKiB < 256 * 1024, "VmRSS \(residentKiB) kB with 1,100 idle connections")
        try box.run(["/usr/bin/pkill", "-f", "/tmp/idle.py"])

        // Wait for the third generation's snapshot (above), then wedge the daemon: the watchdog
        // restarts it, and it serves that snapshot at once.
        try box.run(["/bin/kill", "-STOP", mainPID])
        let restarted = try box.wait(seconds: 30) {
            try box.property("NRestarts", of: "nameindexd.service") != "0"
                && box.property("SubState", of: "nameindexd.service") == "running"
        }
        #expect(restarted, "the watchdog restarted the daemon")
        // journald may take the daemon's lines after systemd has seen it ready: wait for them.
        var journal = ""
        let logged = try box.wait(seconds: 30) {
            journal = try box.journal("-u", "nameindexd.service", "-o", "cat").stdout
            return journal.contains("Watchdog timeout") && journal.contains("Serving snapshot of generation 3")
        }
        #expect(logged, "\(journal)")
        #expect(try box.property("MainPID", of: "nameindexd.service") != mainPID)
        #expect(try box.run([namectl, "get", "user", "3"]).stdout == "3\tGrace\n")

        // A clean stop leaves nothing behind.
        let stop = try box.systemctl("stop", "nameindexd.service", "nameindexd.socket", "nameindexd-lookup.socket")
        #expect(stop.status == 0, "\(stop.stderr)")
        #expect(try box.property("ActiveState", of: "nameindexd.service") == "inactive")
        #expect(try box.property("Result", of: "nameindexd.service") == "success")
        let left = try box.run(["/bin/sh", "-c", "cat /sys/fs/cgroup/system.slice/nameindexd.service/cgroup.procs 2>/dev/null || true"])
        #expect(left.stdout.isEmpty, "processes left: \(left.stdout)")
        #expect(try box.run(["/usr/bin/test", "-e", "/run/nameindexd/control"]).status != 0, "RemoveOnStop= removed the socket")
        #expect(try box.run(["/usr/bin/test", "-e", "/run/nameindexd/lookup"]).status != 0, "RemoveOnStop= removed the socket")
    }

    static var installedBinaries: String {
        ProcessInfo.processInfo.environment["NAMEINDEX_TEST_BINPATH"].map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            ?? Products.directory.path
    }

    private func generationServed(_ box: SystemdBox, _ namectl: String) throws -> Int? {
        let reply = try box.run([namectl, "--json", "status"]).stdout
        let object = try JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any]
        return object?["generation"] as? Int
    }
}
