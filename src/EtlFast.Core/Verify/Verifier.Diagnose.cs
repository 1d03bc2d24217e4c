using Npgsql;

namespace EtlFast.Core.Verify;

public sealed partial class Verifier
{
    private const int ShownRows = 3;

    /// <summary>
    /// For tables whose checksums differ, finds up to three rows missing from (or changed in) the table
    /// and up to three unexpected in it, with no copy of the table: the table's row hashes are counted
    /// in memory (a multiset, only for these tables), a second pass over the source takes each
    /// recomputed row off it (a row it cannot take off is missing), and what remains is looked up in
    /// the table (unexpected).
    /// </summary>
    private void Diagnose(NpgsqlConnection conn, (HashSet<long> Offsets, HashSet<string> Ids) rejected, List<int> differing,
        TableVerdict[] verdicts, CancellationToken cancel)
    {
        var counts = new Dictionary<int, Dictionary<long, int>>();
        var missing = new Dictionary<int, List<string>>();
        foreach (int t in differing)
        {
            var multiset = new Dictionary<long, int>();
            using var cmd = new NpgsqlCommand($"SELECT hashtextextended({RowExpression(plan.Tables[t])}::text, 0) FROM {plan.Tables[t].QualifiedName}", conn);
            using NpgsqlDataReader r = cmd.ExecuteReader();
            while (r.Read())
            {
                long h = r.GetInt64(0);
                multiset[h] = multiset.GetValueOrDefault(h) + 1;
            }
            counts[t] = multiset;
            missing[t] = [];
        }

        bool[] copy = new bool[plan.Tables.Length];
        differing.ForEach(t => copy[t] = true);
        EachChunk(conn, rejected, copy, cancel, (encoder, tx) =>
        {
            foreach (int t in differing)
            {
                if (encoder.Buffers[t].Rows == 0)
                {
                    continue;
                }
                Dictionary<long, int> multiset = counts[t];
                using var cmd = new NpgsqlCommand($"SELECT hashtextextended(r::text, 0), r::text FROM (SELECT {RowExpression(plan.Tables[t])} AS r FROM {TempName(t)}) s", conn, tx);
                using NpgsqlDataReader r = cmd.ExecuteReader();
                while (r.Read())
                {
                    long h = r.GetInt64(0);
                    if (multiset.TryGetValue(h, out int n) && n > 0)
                    {
                        multiset[h] = n - 1;
                    }
                    else if (missing[t].Count < ShownRows)
                    {
                        missing[t].Add(r.GetString(1));
                    }
                }
            }
        });

        foreach (int t in differing)
        {
            Dictionary<long, int> left = counts[t];
            var unexpected = new List<string>();
            if (left.Values.Any(n => n > 0))
            {
                using var cmd = new NpgsqlCommand($"SELECT hashtextextended(r::text, 0), r::text FROM (SELECT {RowExpression(plan.Tables[t])} AS r FROM {plan.Tables[t].QualifiedName}) s", conn);
                using NpgsqlDataReader r = cmd.ExecuteReader();
                while (unexpected.Count < ShownRows && r.Read())
                {
                    long h = r.GetInt64(0);
                    if (left.TryGetValue(h, out int n) && n > 0)
                    {
                        left[h] = n - 1;
                        unexpected.Add(r.GetString(1));
                    }
                }
            }
            verdicts[t] = verdicts[t] with { Missing = missing[t], Unexpected = unexpected };
        }
    }
}
