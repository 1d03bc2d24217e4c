using System.Text;

namespace EtlFast.Core.Load;

/// <summary>
/// Rejected documents, whole, in <c>DIR/COLLECTION.rejects.bson</c> (loadable again once fixed), each with a
/// line in <c>DIR/COLLECTION.rejects.log</c> naming its <c>_id</c>, byte offset and the reason. Thread-safe.
/// </summary>
public sealed class RejectSink(string directory, string collection) : IDisposable
{
    private readonly object _gate = new();
    private FileStream? _bson;
    private StreamWriter? _log;
    private long _count;

    public string BsonPath { get; } = Path.Combine(directory, collection + ".rejects.bson");
    public string LogPath { get; } = Path.Combine(directory, collection + ".rejects.log");

    public long Count => Interlocked.Read(ref _count);

    /// <summary>Records one document; returns the number rejected so far.</summary>
    public long Write(ReadOnlySpan<byte> document, string id, long offset, string reason)
    {
        lock (_gate)
        {
            if (_bson is null)
            {
                Directory.CreateDirectory(directory);
                _bson = new FileStream(BsonPath, FileMode.Append, FileAccess.Write, FileShare.Read);
                _log = new StreamWriter(new FileStream(LogPath, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
            }
            _bson.Write(document);
            _bson.Flush();
            _log!.WriteLine($"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ}\t_id {id}\tbyte offset {offset}\t{reason.ReplaceLineEndings(" ")}");
            _log.Flush();
            return ++_count;
        }
    }

    /// <summary>
    /// Replaces the reject files with exactly these documents: the database's record of a run's rejects,
    /// so rejects of chunks that were rolled back, retried or resumed appear once each.
    /// </summary>
    public void Rewrite(IReadOnlyList<(byte[] Document, string Id, long Offset, string Reason)> rejects)
    {
        lock (_gate)
        {
            _bson?.Dispose();
            _log?.Dispose();
            _bson = null;
            _log = null;
            _count = 0;
            foreach (string stale in (string[])[BsonPath, LogPath])
            {
                if (File.Exists(stale))
                {
                    File.Delete(stale);
                }
            }
            if (rejects.Count == 0)
            {
                return;
            }
            Directory.CreateDirectory(directory);
        }
        foreach ((byte[] doc, string id, long offset, string reason) in rejects)
        {
            Write(doc, id, offset, reason);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _bson?.Dispose();
            _log?.Dispose();
        }
    }
}
