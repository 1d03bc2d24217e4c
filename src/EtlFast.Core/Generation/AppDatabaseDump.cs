using System.IO.Compression;
using System.Text;
using EtlFast.Bson;
using EtlFast.Core.Sources.Archive;

namespace EtlFast.Core.Generation;

/// <summary>
/// Writes <see cref="AppDatabaseGenerator"/>'s database as mongodump writes one: a dump directory
/// (DIR/app_db/COLLECTION.bson[.gz] with COLLECTION.metadata.json[.gz], and the view's metadata alone)
/// or an archive. The collections are written in turn, a batch of orders then the share of every other
/// collection that goes with it, so an archive's blocks interleave as a parallel mongodump's do, and
/// both outputs hold the same documents in the same order.
/// </summary>
public static class AppDatabaseDump
{
    /// <summary>Orders written before the other collections catch up (one archive block each).</summary>
    private const int OrdersPerBatch = 1000;

    /// <summary>
    /// Writes the dump directory DIR/app_db (the database directory), built as DIR/app_db.tmp and renamed
    /// when complete, so DIR/app_db never holds a partial dump; an existing DIR/app_db is replaced.
    /// </summary>
    public static GenerationProgress WriteDirectory(AppDatabaseGenerator generator, string dir, int orders, bool gzip,
        Action<GenerationProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(generator);
        string final = Path.Combine(dir, AppDatabaseGenerator.Database);
        string temp = final + ".tmp";
        if (Directory.Exists(temp))
        {
            Directory.Delete(temp, recursive: true);
        }
        Directory.CreateDirectory(temp);
        try
        {
            string gz = gzip ? ".gz" : "";
            var files = new Stream[AppDatabaseGenerator.Collections.Count];
            GenerationProgress done;
            try
            {
                for (int i = 0; i < files.Length; i++)
                {
                    AppCollection c = AppDatabaseGenerator.Collections[i];
                    files[i] = Create(Path.Combine(temp, $"{c.Name}.bson{gz}"), gzip);
                    WriteText(Path.Combine(temp, $"{c.Name}.metadata.json{gz}"), gzip, Metadata(c));
                }
                WriteText(Path.Combine(temp, $"{AppDatabaseGenerator.ViewName}.metadata.json{gz}"), gzip, ViewMetadata());
                done = Interleave(generator, orders, (ns, doc) => files[ns].Write(doc), progress, cancel);
            }
            finally
            {
                foreach (Stream? f in files)
                {
                    f?.Dispose();
                }
            }
            if (Directory.Exists(final))
            {
                Directory.Delete(final, recursive: true);
            }
            Directory.Move(temp, final);
            return done;
        }
        catch
        {
            Directory.Delete(temp, recursive: true);
            throw;
        }
    }

    /// <summary>Writes the database as one mongodump archive (uncompressed: the caller gzips the stream for .archive.gz).</summary>
    public static GenerationProgress WriteArchive(AppDatabaseGenerator generator, Stream output, int orders,
        Action<GenerationProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var namespaces = new List<ArchiveNamespace>();
        var metadata = new List<string>();
        foreach (AppCollection c in AppDatabaseGenerator.Collections)
        {
            namespaces.Add(new ArchiveNamespace(AppDatabaseGenerator.Database, c.Name, ArchiveNamespaceKind.Collection, null));
            metadata.Add(Metadata(c));
        }
        namespaces.Add(new ArchiveNamespace(AppDatabaseGenerator.Database, AppDatabaseGenerator.ViewName, ArchiveNamespaceKind.View, AppDatabaseGenerator.ViewOn));
        metadata.Add(ViewMetadata());
        using var archive = new ArchiveWriter(output, namespaces, metadata: metadata);
        GenerationProgress done = Interleave(generator, orders, archive.Write, progress, cancel);
        archive.CompleteAll();
        output.Flush();
        return done;
    }

    private delegate void DocumentSink(int ns, ReadOnlySpan<byte> document);

    private static GenerationProgress Interleave(AppDatabaseGenerator generator, int orders, DocumentSink sink,
        Action<GenerationProgress>? progress, CancellationToken cancel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(orders);
        IReadOnlyList<AppCollection> collections = AppDatabaseGenerator.Collections;
        var written = new int[collections.Count];
        using var writer = new BsonWriter(64 * 1024);
        long documents = 0, bytes = 0;
        for (int upTo = Math.Min(orders, OrdersPerBatch); ; upTo = Math.Min(orders, upTo + OrdersPerBatch))
        {
            cancel.ThrowIfCancellationRequested();
            for (int ns = 0; ns < collections.Count; ns++)
            {
                // Every collection keeps pace with the orders: after k of N orders, k/N of its documents.
                int target = orders == 0 ? 0 : (int)((long)upTo * collections[ns].Count(orders) / orders);
                while (written[ns] < target)
                {
                    writer.Clear();
                    generator.Write(writer, collections[ns], ++written[ns], orders);
                    sink(ns, writer.WrittenSpan);
                    documents++;
                    bytes += writer.WrittenCount;
                }
            }
            progress?.Invoke(new GenerationProgress(documents, bytes));
            if (upTo == orders)
            {
                return new GenerationProgress(documents, bytes);
            }
        }
    }

    private static Stream Create(string path, bool gzip)
    {
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        return gzip ? new GZipStream(file, CompressionLevel.Fastest) : file;
    }

    private static void WriteText(string path, bool gzip, string text)
    {
        using Stream s = Create(path, gzip);
        s.Write(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>The indexes an application would have, as mongodump's metadata.json lists them (canonical Extended JSON).</summary>
    private static string Metadata(AppCollection c)
    {
        string[] indexes = c.Name switch
        {
            "customers" => [Index("email", 1, unique: true)],
            "products" => [Index("category", 1)],
            "orders" => [Index("customerId", 1), Index("createdAt", -1)],
            "reviews" => [Index("productId", 1)],
            _ => [Index("at", 1)],
        };
        string all = string.Join(",", [Index("_id", 1), .. indexes]);
        return $"{{\"indexes\":[{all}],\"uuid\":\"{Uuid(c.Code)}\",\"collectionName\":\"{c.Name}\",\"type\":\"collection\"}}";
    }

    private static string ViewMetadata() =>
        $"{{\"options\":{{\"viewOn\":\"{AppDatabaseGenerator.ViewOn}\",\"pipeline\":[{{\"$match\":{{\"items.4\":{{\"$exists\":true}}}}}}]}},"
        + $"\"indexes\":[],\"collectionName\":\"{AppDatabaseGenerator.ViewName}\",\"type\":\"view\"}}";

    private static string Index(string field, int direction, bool unique = false)
    {
        string name = field == "_id" ? "_id_" : $"{field}_{direction}";
        string flag = unique ? ",\"unique\":true" : "";
        return $"{{\"v\":{{\"$numberInt\":\"2\"}},\"key\":{{\"{field}\":{{\"$numberInt\":\"{direction}\"}}}},\"name\":\"{name}\"{flag}}}";
    }

    private static string Uuid(int code) => $"a99d{code:x4}0000400080000000000000{code:x2}";
}
