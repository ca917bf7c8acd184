extension IndexInterface {
    /// The interface definition, as returned by `GetInterfaceDescription`.
    /// docs/io.nameindex.Index.varlink holds a copy, and a test keeps the two equal.
    public static let definition = """
        # The resident id → name index of nameindexd.
        #
        # Anyone who can open the control socket may call Lookup, ListNamespaces
        # and Status. Times are microseconds since the Unix epoch (…USec fields)
        # or durations in microseconds.
        interface io.nameindex.Index

        # A namespace and the number of distinct keys it answers.
        type Namespace (
          name: string,
          entries: int,
          # Keys looked up in it on the lookup socket since the daemon started, and how
          # many were found; in Status only.
          lookups: ?int,
          hits: ?int
        )

        # The fetch of a source that is running, or the last one.
        type FetchProgress (
          state: (queued, running, retrying, done, failed),
          # Attempt number, from 1; more after a failed attempt is retried
          # (the highest of any partition).
          attempt: int,
          # Rows and bytes received so far, over all partitions and attempts.
          rows: int,
          bytes: int,
          # Time since the fetch was queued.
          elapsedUSec: int,
          # Each partition of a partitioned source, in partition order.
          partitions: ?[]PartitionProgress
        )

        # One partition of a fetch.
        type PartitionProgress (
          state: (queued, running, retrying, done, failed),
          attempt: int,
          rows: int,
          bytes: int
        )

        # One configured source and the outcome of its latest fetch.
        type SourceStatus (
          name: string,
          namespace: string,
          kind: string,
          # pending: not fetched yet; loading: being fetched for the first time;
          # loaded: its rows are from the latest fetch; stale: the latest fetch
          # failed and its rows are from an earlier one; failed: it failed and
          # has no rows; loaded_and_reloading, failed_and_reloading: being
          # fetched again, after a good fetch or after a failed one (stale or
          # failed).
          state: (pending, loading, loaded, stale, failed, loaded_and_reloading, failed_and_reloading),
          # Entries this source holds in the serving generation, and the bytes
          # of its table.
          rows: int,
          bytes: ?int,
          # Rows read but skipped: a NULL key or name (SQL NULL, JSON null
          # or a missing member, a field equal to null_value), an empty key
          # or name, invalid UTF-8, no name column (or not a JSON object, or
          # nested too deep), a line longer than max_line_bytes.
          skippedNull: int,
          skippedEmpty: int,
          skippedInvalidUTF8: int,
          skippedMalformed: int,
          skippedTooLong: int,
          # Rows that repeated a key within this source (the first was kept).
          duplicates: int,
          # Keys hidden by a source listed earlier for the same namespace.
          shadowed: int,
          # The first skipped_sample rows its last load skipped, duplicates
          # among them.
          skippedRows: ?[]SkippedRow,
          lastSuccessUSec: ?int,
          lastDurationUSec: ?int,
          lastError: ?string,
          lastErrorUSec: ?int,
          fetch: ?FetchProgress,
          # When the source is reloaded next, and why: "timer" (reload_interval
          # plus jitter) or a retry after failed loads. Null: not scheduled.
          nextReloadUSec: ?int,
          nextReloadReason: ?string,
          # The last change check (check_interval): when, the value it read,
          # and why it failed, if it did.
          lastCheckUSec: ?int,
          lastCheckValue: ?string,
          lastCheckError: ?string,
          # Incremental updates, for a source with a delta query; null without.
          delta: ?DeltaStatus
        )

        # A source's deltas (delta_query, delta_command) and its overlay.
        type DeltaStatus (
          # The largest watermark seen: the next delta reads the rows changed
          # since it, less delta_lag. Null: none yet (its next delta is a
          # full reload of the source).
          watermark: ?string,
          # Whether a delta of the source is running.
          running: bool,
          # Whether a delta of the source is queued behind the job running
          # now (a full reload, another delta, a compaction).
          queued: bool,
          # Deltas applied since the last full load of the source.
          applied: int,
          # The last delta: when it ended, the rows it returned (upserts and
          # tombstones), the keys whose name it changed, how long it took, and
          # the generation it made (null: it changed nothing).
          lastUSec: ?int,
          lastUpserts: ?int,
          lastTombstones: ?int,
          lastChanged: ?int,
          lastDurationUSec: ?int,
          lastGeneration: ?int,
          # Why the last delta failed or was refused (a guard); null after a
          # good one.
          lastError: ?string,
          lastErrorUSec: ?int,
          # The overlay over the source's base: entries (upserts and
          # tombstones) and bytes.
          overlayRows: int,
          overlayBytes: int,
          # When its delta timer (delta_interval) fires next; null: none.
          nextDeltaUSec: ?int,
          # The last compaction of its overlay into a new base.
          lastCompactionUSec: ?int,
          lastCompactionDurationUSec: ?int,
          lastCompactionRows: ?int,
          # What the last full load found that the deltas had not built.
          reconciliation: ?Reconciliation
        )

        # A full load compared with what the deltas had built: keys the load
        # has and the deltas had not added (missing), keys the deltas kept and
        # the load no longer has (extra: deletes without a tombstone), keys
        # with another name (changed); a few of the keys as examples.
        type Reconciliation (
          atUSec: int,
          missing: int,
          extra: int,
          changed: int,
          examples: []string
        )

        # Keys added, removed, and whose name changed in one namespace.
        type NamespaceChanges (
          namespace: string,
          added: int,
          removed: int,
          changed: int
        )

        # The snapshot file of the last good generation.
        type Snapshot (
          path: string,
          generation: int,
          createdAtUSec: int,
          bytes: int
        )

        # Resolves keys in one namespace, all from one generation. names[i] is
        # null when keys[i] is absent.
        method Lookup(namespace: string, keys: []string) -> (
          names: []?string,
          generation: int
        )

        # Lists the namespaces of the serving generation.
        method ListNamespaces() -> (namespaces: []Namespace, generation: int)

        # Describes the daemon, the serving generation and every source.
        method Status() -> (
          state: (starting, loading, serving, reloading, failed),
          generation: int,
          entries: int,
          startedAtUSec: int,
          loadedAtUSec: ?int,
          loadDurationUSec: ?int,
          version: string,
          # Bytes of the serving generation's tables (the snapshot's size, less its directory).
          indexBytes: int,
          # True while the serving generation was loaded from the snapshot
          # rather than fetched by this process.
          servingSnapshot: bool,
          # The last snapshot written or loaded, and why the last write or load failed.
          snapshot: ?Snapshot,
          snapshotError: ?string,
          namespaces: []Namespace,
          sources: []SourceStatus,
          # What the last swap changed, per namespace, against the generation
          # before it (changesFrom); null before the second generation.
          changes: ?[]NamespaceChanges,
          changesFrom: ?int
        )

        # Fetches the named sources (all when sources is null or empty) and
        # answers once the new generation serves; the other sources keep their
        # rows. Joins a reload that is already running when it fetches every
        # source asked for; otherwise queues one follow-up reload, shared by
        # every such caller. Called with "more", it also
        # streams progress: a first reply at once, then one about every 250 ms,
        # each with "continues" and sources (with their fetch), generation and
        # entries of the generation serving meanwhile, and durationUSec so far;
        # the last reply (or error) is the outcome.
        #
        # mode "delta" runs the sources' delta queries instead (every source
        # with one when sources is null or empty): the rows changed since each
        # source's watermark go into its overlay. A delta that changes nothing
        # makes no new generation. mode null or "full": a full reload.
        method Reload(sources: ?[]string, mode: ?(full, delta)) -> (generation: int, entries: int, durationUSec: int, sources: ?[]SourceStatus)

        # Cancels the running reload: its fetches stop (connections closed,
        # commands killed) and the serving generation stays. Its callers get
        # ReloadCancelled. cancelled is false when no reload was running.
        method CancelReload() -> (cancelled: bool, generation: int)

        # The daemon's metrics, as text in the Prometheus exposition format
        # (0.0.4): what namectl metrics prints. Its names and labels are in
        # nameindexd(8), Metrics.
        method Metrics() -> (text: string)

        # A key looked up on the lookup socket and not found, from its
        # namespace's sample of the most missed (space-saving over miss_sample
        # places): missed between count - error and count times. key is
        # escaped (see SkippedRow); truncated: only its first 128 bytes are held.
        type MissedKey (
          key: string,
          truncated: bool,
          count: int,
          error: int,
          firstSeenUSec: int,
          lastSeenUSec: int
        )

        # The keys of namespace most often looked up on the lookup socket and
        # not found since the last full reload swapped a generation in (or
        # since the start), the most missed first, at most limit of them.
        # Keys that the serving generation now answers are left out. capacity
        # is miss_sample (0: sampling is off); misses counts every miss since
        # sinceUSec and distinct estimates how many keys they were (about
        # 1.6 %).
        method Misses(namespace: string, limit: ?int) -> (
          namespace: string,
          capacity: int,
          sinceUSec: int,
          misses: int,
          distinct: int,
          keys: []MissedKey,
          generation: int
        )

        # A row a source read and did not load, from the sample of its last
        # load (the first skipped_sample). reason: null, empty, invalid_utf8,
        # malformed, too_long, or shadowed (a key that an earlier source of
        # the namespace holds too: that one answers). location says where it
        # was: a file and line (and byte offset), a line of a command's
        # output, a row of a query's result, with the partition when there
        # are several. raw is the row's bytes (for query rows: key and name
        # joined by a tab, a NULL left out), cut at 200 and escaped: printable
        # UTF-8 as it is, a backslash as two, a tab, line feed and carriage
        # return as \\t, \\n, \\r, other bytes as \\xNN; rawBytes is its length
        # before the cut; key, escaped, when the row had one.
        type SkippedRow (
          reason: string,
          location: string,
          raw: string,
          rawBytes: int,
          key: ?string
        )

        # One source of the namespace, as Explain saw it: answer is what it
        # says about the key: name (from its base table), overlay (a name from
        # a delta), deleted (a tombstone from a delta: it does not answer), or
        # absent; name is the name it gives. partition is the partition it
        # was fetched in, where known (a source fetched in one partition: the
        # daemon keeps no partition per entry). skipped: rows of its last load
        # with this key that it skipped, from its sample.
        type ExplainSource (
          source: string,
          kind: string,
          answer: (name, overlay, deleted, absent),
          name: ?string,
          loadedAtUSec: ?int,
          partition: ?string,
          partitions: int,
          skipped: []SkippedRow
        )

        # Why key has the name it has in namespace, or none: every source of
        # the namespace in lookup order, what each says about the key, and
        # which one answers (answeredBy; null: none does). The sources after
        # the one that answers and that hold the key too are shadowed: their
        # names are in sources. Read from the serving generation, off the
        # lookup path.
        method Explain(namespace: string, key: string) -> (
          namespace: string,
          key: string,
          generation: int,
          generationCreatedAtUSec: int,
          answeredBy: ?string,
          name: ?string,
          sources: []ExplainSource
        )

        # No configured source has this name.
        error NoSuchSource (source: string)

        # The namespace is not in the serving generation.
        error NoSuchNamespace (namespace: string)

        # At least one source failed. Sources that loaded serve their new rows;
        # failed ones keep their previous rows. generation is the generation
        # serving now.
        error ReloadFailed (reason: string, generation: int, failedSources: []string)

        # The reload was cancelled (CancelReload); generation keeps serving.
        error ReloadCancelled (generation: int)

        # The caller (by uid) may not call this method: Reload and CancelReload
        # need root, the daemon's own user, or its control_group.
        error PermissionDenied (uid: int)

        # The message was not a varlink call: invalid JSON, no method, or too large.
        error InvalidMessage (reason: string)

        # The daemon is shutting down and no longer takes this call.
        error ShuttingDown ()

        # The call went past one of the daemon's documented bounds: limit names
        # it (lookup_keys: keys in one Lookup; control_connections: connections
        # open at once; control_connections_per_uid: those of one user), and
        # maximum is its value. Nothing was done; the call may be split or
        # retried later.
        error LimitExceeded (limit: string, maximum: int)

        """
}
