using BsonException = EtlFast.Bson.BsonException;
using BsonErrorKind = EtlFast.Bson.BsonErrorKind;
using EtlFast.Core.Sources.Archive;
using EtlFast.Core.Tests.Load;
using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;

namespace EtlFast.Core.Tests.Archive;

/// <summary>The archive reader on its own: any split of the reads (a pipe), every namespace of a real archive with its CRC, and a tolerated empty block.</summary>
public sealed class ArchiveReaderTests
{
    private static readonly string TimeSeries = RepoRoot.File("tests", "EtlFast.Core.Tests", "Fixtures", "mongo-tools", "timeseries_dump.archive");
    private static readonly string WithOplog = RepoRoot.File("tests", "EtlFast.Core.Tests", "Fixtures", "mongo-tools", "dump-w-oplog.archive");

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(4096)]
    public void Reads_split_anywhere_give_the_namespace_documents_byte_for_byte(int maxRead)
    {
        byte[] users = SeedData.Get(120, seed: 5).Bytes;
        SeedArchive archive = SeedArchive.Write(users, SeedData.Get(30, seed: 6).Bytes, ("sample_db", "users"), ("other_db", "users"));
        using Stream docs = MongodumpArchive.SelectIfArchive(new Trickle(archive.Bytes, maxRead), "pipe", false, "sample_db", "users", drainAtEnd: true);
        var copy = new MemoryStream();
        var buffer = new byte[maxRead + 5];
        int n;
        while ((n = docs.Read(buffer, 0, Random.Shared.Next(1, buffer.Length + 1))) > 0)
        {
            copy.Write(buffer, 0, n);
        }
        Assert.Equal(users, copy.ToArray());
    }

    /// <summary>Counts and CRCs as read with the independent decoder (see Fixtures/mongo-tools/README.md).</summary>
    [Theory]
    [InlineData("timeseries", "admin", "system.version", ArchiveNamespaceKind.System, 1)]
    [InlineData("timeseries", "admin", "system.views", ArchiveNamespaceKind.System, 0)]
    [InlineData("timeseries", "timeseries_test", "foo_ts", ArchiveNamespaceKind.TimeSeries, 10)]
    [InlineData("oplog", "test", "foo", ArchiveNamespaceKind.Collection, 25)]
    [InlineData("oplog", "", "oplog", ArchiveNamespaceKind.Collection, 18)]
    public void Every_namespace_of_a_mongodump_archive_reads_whole_and_passes_its_crc(string file, string db, string collection, ArchiveNamespaceKind kind, int documents)
    {
        string path = file == "timeseries" ? TimeSeries : WithOplog;
        using var input = new ArchiveInput(File.OpenRead(path), path, compressed: false);
        List<ArchiveNamespace> prelude = ArchivePrelude.Read(input);
        ArchiveNamespace ns = Assert.Single(prelude, n => n.Database == db && n.Collection == collection);
        Assert.Equal(kind, ns.Kind);
        // Bypasses the time-series refusal on purpose: the buckets' CRC is checked like any namespace's.
        using var docs = new NamespaceStream(input, prelude, ns, drainAtEnd: false);
        var copy = new MemoryStream();
        docs.CopyTo(copy);
        List<BsonDocument> read = BsonFile.Decode(copy.ToArray());
        Assert.Equal(documents, read.Count);
        if (kind == ArchiveNamespaceKind.TimeSeries)
        {
            Assert.All(read, d => Assert.True(d.Contains("control"), "a time-series namespace's documents are its buckets"));
        }
    }

    [Fact]
    public void A_damaged_archive_read_on_stops_with_the_same_fault_every_time()
    {
        byte[] bytes = File.ReadAllBytes(WithOplog)[..1000]; // inside test.foo's documents
        using Stream docs = MongodumpArchive.SelectIfArchive(new MemoryStream(bytes), "cut", false, "test", "foo", drainAtEnd: false);
        var first = Assert.Throws<BsonException>(() => docs.CopyTo(Stream.Null));
        var again = Assert.Throws<BsonException>(() => docs.ReadByte());
        Assert.Equal(BsonErrorKind.ArchiveDamaged, first.Kind);
        Assert.Same(first, again);
        Assert.Contains("of cut, in namespace test.foo: the archive ends inside the document that starts at byte", first.Message, StringComparison.Ordinal);
    }

    /// <summary>A non-seekable stream that returns at most a few bytes per read, as a pipe may.</summary>
    private sealed class Trickle(byte[] bytes, int maxRead) : Stream
    {
        private int _at;

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(Math.Min(count, maxRead), bytes.Length - _at);
            Array.Copy(bytes, _at, buffer, offset, n);
            _at += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
