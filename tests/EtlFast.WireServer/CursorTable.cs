using System.Collections.Concurrent;

namespace EtlFast.WireServer;

/// <summary>Open cursors by id; ids are random positive int64s, as mongod's look.</summary>
internal sealed class CursorTable
{
    private readonly ConcurrentDictionary<long, OpenCursor> cursors = new();

    public int Count => cursors.Count;

    public long NewId()
    {
        while (true)
        {
            long id = Random.Shared.NextInt64(1, long.MaxValue);
            if (!cursors.ContainsKey(id))
            {
                return id;
            }
        }
    }

    public void Add(OpenCursor cursor) => cursors[cursor.Id] = cursor;

    public OpenCursor? Find(long id) => cursors.TryGetValue(id, out var c) ? c : null;

    public bool Remove(long id) => cursors.TryRemove(id, out _);
}
