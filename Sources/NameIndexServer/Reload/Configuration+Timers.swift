extension Configuration {
    /// Each source's timer: its own `reload_interval`/`reload_jitter`, else the daemon's.
    var timers: [String: ReloadScheduler.Timer] {
        Dictionary(uniqueKeysWithValues: sources.map { source in
            (source.name, ReloadScheduler.Timer(
                interval: source.reloadInterval ?? daemon.reloadInterval,
                jitter: source.reloadJitter ?? daemon.reloadJitter ?? .zero))
        })
    }
}
