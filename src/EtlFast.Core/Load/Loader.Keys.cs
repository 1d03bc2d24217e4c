using System.Collections.Concurrent;
using EtlFast.Core.Constraints;
using Npgsql;

namespace EtlFast.Core.Load;

public sealed partial class Loader
{
    /// <summary>Keys are being built again after duplicates were rejected: those built before count as done.</summary>
    private bool _keysRebuilt;

    /// <summary>
    /// Primary keys (wave 0) or unique indexes (wave 1). Those refused for a duplicate (23505) are
    /// settled by <see cref="DuplicateKeys"/> once the others are built: it stops naming the documents
    /// that carry it, or rejects the repeats; then they are built again.
    /// </summary>
    private void BuildKeys(int wave, IReadOnlyList<string> statements)
    {
        var refused = new ConcurrentQueue<(string Sql, LoadException Error)>();
        RunParallel(statements, refused);
        for (int pass = 0; !refused.IsEmpty; pass++)
        {
            (string Sql, LoadException Error)[] failed = refused.ToArray();
            string[] tables = [.. failed.Select(f => ((PostgresException)f.Error.InnerException!).TableName ?? "")];
            var duplicates = new DuplicateKeys(_plan, _options, _runId, _observer, _stop.Token);
            bool settled = false;
            using (NpgsqlConnection conn = Open())
            {
                // A second refusal after rejecting means the source no longer matches the tables: stop, naming what is left.
                Run(() => settled = duplicates.Settle(conn, wave, tables, rejectAllowed: pass == 0), "finding the documents that repeat a key");
            }
            if (!settled)
            {
                throw failed[0].Error; // no duplicate found behind it: PostgreSQL's own refusal
            }
            _keysRebuilt = true;
            refused.Clear();
            RunParallel([.. failed.Select(f => f.Sql)], refused);
        }
    }
}
