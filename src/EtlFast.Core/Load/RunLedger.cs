using EtlFast.Core.Plan;
using EtlFast.Core.Sources;
using Npgsql;

namespace EtlFast.Core.Load;

/// <summary>
/// The run's record in the target, and how a command meets it: a new load (tables prepared, the run and
/// its range plan recorded), a resumed one (its committed chunks and stored plan read back), a partition
/// joining or resuming one, or a load already finished (nothing to do). Every resume and partition
/// decision is made here, under the run's lock where partitions share it.
/// </summary>
internal sealed class RunLedger(LoadPlan plan, LoadOptions options, ILoadObserver observer, PgSteps steps)
{
    /// <summary>The checkpoint identity of this load (null for standard input or a null sink).</summary>
    public string? RunId { get; private set; }

    /// <summary>The chunks committed by the run being resumed: skipped.</summary>
    public HashSet<long> CommittedBefore { get; private set; } = [];

    /// <summary>A live load's ranges and where each goes on: stored at the start, read back on resume and by every partition.</summary>
    public (IReadOnlyList<MongoRange> Ranges, IReadOnlyDictionary<int, RangeStart> Starts)? RangePlan { get; private set; }

    /// <summary>--resume found the load finished (or this partition's part of it): nothing is read or written.</summary>
    public bool AlreadyFinished { get; private set; }

    /// <summary>--resume of a partition that finished before, when all have but the load is not finished: nothing is read, the keys are built.</summary>
    public bool PartitionDone { get; private set; }

    /// <summary>Marks the run finished (after its keys are built).</summary>
    public void Finish()
    {
        if (RunId is not null)
        {
            using NpgsqlConnection conn = steps.Open();
            Checkpoints.Finish(conn, RunId);
        }
    }

    /// <summary>Checks the target, settles resume against the checkpoints, prepares the tables. Returns the effective mode and timing.</summary>
    public (LoadMode, ConstraintTiming) Prepare(MongoSource? live)
    {
        if (options.NullSink)
        {
            observer.Phase("null sink: nothing is read from or written to PostgreSQL");
            return (options.Mode, options.Constraints);
        }
        using NpgsqlConnection control = steps.Open();
        string? identity = Checkpoints.SourceIdentity(options, plan.Mapping);
        if (identity is null && options.Resume)
        {
            throw new LoadException(FailureKind.Usage, "--resume cannot be used with --from -",
                "standard input cannot be read again from where the last run stopped", "save the stream to a file and load the file");
        }
        steps.Run(() => Checkpoints.EnsureTables(control), "creating the checkpoint tables");
        if (identity is not null)
        {
            RunId = Checkpoints.RunId(identity, options.MappingText, plan.Schema, options.ChunkBytes);
        }
        if (!options.Partition.IsWhole && RunId is not null)
        {
            Checkpoints.Lock(control, RunId);
            try
            {
                return PreparePartition(control, identity!, live);
            }
            finally
            {
                Checkpoints.Unlock(control, RunId);
            }
        }
        RunState? state = RunId is null ? null : Checkpoints.Find(control, RunId);
        bool unfinished = state is not null && state.FinishedAt is null;

        if (options.Resume && state is { FinishedAt: not null })
        {
            return NothingToDo(state, live);
        }
        if (options.Resume && unfinished)
        {
            CommittedBefore = state!.CommittedChunks;
            observer.Phase($"resuming: {state.CommittedChunks.Count:N0} chunks ({state.CommittedDocuments:N0} documents) were committed by the run started {state.StartedAt:u}");
            LoadRangePlan(control, live);
            return (Enum.Parse<LoadMode>(state.Mode, ignoreCase: true), Enum.Parse<ConstraintTiming>(state.Constraints, ignoreCase: true));
        }
        if (options.Resume)
        {
            // Nothing was recorded (the first attempt died before its run began): start it, so that
            // "--resume" is safe to pass always, as it is with --partition.
            observer.Phase($"no earlier load of this source and mapping into schema \"{plan.Schema}\" to resume: starting it");
        }
        if (unfinished && options.Mode != LoadMode.Clean)
        {
            throw new LoadException(FailureKind.Usage,
                $"the target holds an unfinished load of this source and mapping ({state!.CommittedChunks.Count:N0} chunks, {state.CommittedDocuments:N0} documents committed, started {state.StartedAt:u})",
                "loading again would add its committed rows a second time",
                "add --resume to continue it where it stopped, or use --mode clean to start over");
        }
        observer.Phase("preparing tables");
        steps.Run(() => SchemaBuilder.Prepare(control, plan, options.Mode, options.Constraints), "preparing the tables");
        if (RunId is not null)
        {
            BeginRun(control, identity!, live, partitions: 1);
        }
        return (options.Mode, options.Constraints);
    }

    /// <summary>
    /// A scheduler's retry of a step that finished (a Job restarted after the end, a cron or Airflow
    /// retry): the load is complete, so there is nothing to do, and that is a success.
    /// </summary>
    private (LoadMode, ConstraintTiming) NothingToDo(RunState state, MongoSource? live)
    {
        observer.Phase($"nothing to do: the load of {live?.DisplayName ?? options.From} into schema \"{plan.Schema}\" started {state.StartedAt:u} finished at {state.FinishedAt:u} ({state.CommittedChunks.Count:N0} chunks, {state.CommittedDocuments:N0} documents)");
        AlreadyFinished = true;
        return (options.Mode, options.Constraints);
    }

    /// <summary>Records the run and, for a live source, its range plan, in one transaction: a run is never recorded without its plan.</summary>
    private void BeginRun(NpgsqlConnection control, string identity, MongoSource? live, int partitions)
    {
        steps.Run(() =>
        {
            using NpgsqlTransaction tx = control.BeginTransaction();
            Checkpoints.Begin(control, RunId!, plan.Schema, identity, options.Mode, options.Constraints, partitions);
            if (live is not null)
            {
                RangePlanStore.Store(control, RunId!, live.Planned);
                RangePlan = (live.Planned, new Dictionary<int, RangeStart>());
            }
            tx.Commit();
        }, "recording the run");
    }

    /// <summary>A resumed or joined live load reads the plan the run started with, and goes on where its committed chunks end.</summary>
    private void LoadRangePlan(NpgsqlConnection control, MongoSource? live)
    {
        if (live is null)
        {
            return;
        }
        RangePlan = RangePlanStore.Load(control, RunId!, live.DisplayName) ?? throw new LoadException(FailureKind.Usage,
            $"the unfinished load of {live.DisplayName} has no stored range plan, so it cannot be resumed exactly",
            "it was started by an earlier etlfast, which planned the _id ranges again at each start; resuming such a load can skip documents",
            "start over with --mode clean");
        // A range read by one query because the server's _id comparisons cannot be trusted (see
        // MongoRangePlanner) cannot go on after an _id either: partly committed, it cannot be resumed exactly.
        if (RangePlan.Value.Ranges.FirstOrDefault(r => r.Group.Unranged && RangePlan.Value.Starts.ContainsKey(r.Number)) is { } unranged)
        {
            throw new LoadException(FailureKind.Usage,
                $"the unfinished load of {live.DisplayName} cannot be resumed exactly: its _id range {unranged} had committed chunks when it stopped",
                "that range is read by one query, in no _id order this server can be trusted with, so there is no position to go on from",
                "start over with --mode clean");
        }
        int goingOn = RangePlan.Value.Starts.Count;
        observer.Phase($"the stored plan has {RangePlan.Value.Ranges.Count:N0} _id ranges; {goingOn:N0} go on after the last _id they committed, the others from their start");
    }

    /// <summary>
    /// Prepare for one of several processes sharing a load (under the run's lock): the first to arrive
    /// prepares the tables as --mode says and starts the run; the others join it and leave the tables
    /// alone. A partition that ran before continues only with --resume, as a whole load would.
    /// </summary>
    private (LoadMode, ConstraintTiming) PreparePartition(NpgsqlConnection control, string identity, MongoSource? live)
    {
        Partition me = options.Partition;
        RunState? state = Checkpoints.Find(control, RunId!);
        Dictionary<int, bool> parts = state is null ? [] : Checkpoints.Parts(control, RunId!);
        if (options.Resume && state is { FinishedAt: not null })
        {
            return NothingToDo(state, live); // a pod restarted after the end
        }
        if (state is { FinishedAt: null })
        {
            if (state.Partitions != me.Count)
            {
                throw new LoadException(FailureKind.Usage,
                    $"the unfinished load of this source and mapping is split into {state.Partitions} partition{(state.Partitions == 1 ? "" : "s")}, not {me.Count}",
                    $"it was started {state.StartedAt:u}; its chunks are assigned by the number of partitions, which cannot change midway",
                    state.Partitions == 1
                        ? "finish it with --resume and no --partition, or start over with --mode clean and no --partition"
                        : $"run its partitions with --partition I/{state.Partitions}, or finish it in one process with --resume and no --partition");
            }
            if (parts.ContainsKey(me.Index))
            {
                if (!options.Resume)
                {
                    throw new LoadException(FailureKind.Usage,
                        $"partition {me} of this load has run before (the load started {state.StartedAt:u}; {state.CommittedChunks.Count:N0} chunks of all partitions committed)",
                        "loading it again would add its committed rows a second time",
                        "add --resume to continue it where it stopped (a restarted Kubernetes pod should always pass --resume)");
                }
                CommittedBefore = state.CommittedChunks;
                if (parts[me.Index])
                {
                    // This partition finished before: its chunks are all committed, so it reads nothing.
                    // It finishes the load only if every partition has and the keys were never built (the
                    // last one died building them); else the last of the others to finish does.
                    int finished = parts.Count(p => p.Value);
                    if (finished < me.Count)
                    {
                        observer.Phase($"nothing to do: partition {me} of the load started {state.StartedAt:u} finished before; {finished} of {me.Count} partitions have finished, and the last to finish builds the keys");
                        AlreadyFinished = true;
                        return (options.Mode, options.Constraints);
                    }
                    observer.Phase($"partition {me} finished before, as have all {me.Count}, but the load is not marked finished: building its keys and finishing it");
                    PartitionDone = true;
                }
                else
                {
                    observer.Phase($"resuming partition {me} of the load started {state.StartedAt:u}");
                }
            }
            else
            {
                Checkpoints.StartPart(control, RunId!, me.Index);
                observer.Phase($"joining the load started {state.StartedAt:u} as partition {me} ({parts.Count} of {me.Count} partitions started before)");
            }
            if (!PartitionDone)
            {
                LoadRangePlan(control, live);
            }
            return (Enum.Parse<LoadMode>(state.Mode, ignoreCase: true), Enum.Parse<ConstraintTiming>(state.Constraints, ignoreCase: true));
        }
        if (options.Resume)
        {
            // The first to arrive finds nothing to resume: start the load, so "--resume" is safe to pass always.
            observer.Phase($"no unfinished load to resume: starting it as partition {me}");
        }
        observer.Phase($"preparing tables (partition {me}: the first of the {me.Count} partitions to arrive)");
        steps.Run(() => SchemaBuilder.Prepare(control, plan, options.Mode, options.Constraints), "preparing the tables");
        BeginRun(control, identity, live, me.Count);
        Checkpoints.StartPart(control, RunId!, me.Index);
        return (options.Mode, options.Constraints);
    }

    /// <summary>
    /// True for a whole load, and for the partition that finishes last (under the run's lock, so exactly
    /// one sees every partition finished): it builds the keys and marks the run finished.
    /// </summary>
    public bool IsLastPartition()
    {
        if (options.Partition.IsWhole || RunId is null)
        {
            return true;
        }
        using NpgsqlConnection conn = steps.Open();
        Checkpoints.Lock(conn, RunId);
        try
        {
            int finished = Checkpoints.FinishPart(conn, RunId, options.Partition.Index);
            if (finished >= options.Partition.Count)
            {
                observer.Phase($"partition {options.Partition} done, the last of {options.Partition.Count}: finishing the load");
                return true;
            }
            observer.Phase($"partition {options.Partition} done: {finished} of {options.Partition.Count} partitions have finished; the last to finish builds the keys and indexes");
            return false;
        }
        finally
        {
            Checkpoints.Unlock(conn, RunId);
        }
    }
}
