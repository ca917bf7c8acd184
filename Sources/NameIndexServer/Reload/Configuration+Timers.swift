extension Configuration {
    /// Each source's timer, as the scheduler takes it.
    var timers: [String: ReloadScheduler.Timer] {
        Dictionary(uniqueKeysWithValues: sources.map { source in
            (source.name, ReloadScheduler.Timer(interval: source.reloadInterval, jitter: source.reloadJitter))
        })
    }
}
