using System.IO.Compression;

namespace EtlFast.Core.Generation;

/// <summary>
/// An output file that only appears under its name once complete: bytes go to <c>PATH.tmp</c>, which
/// <see cref="Commit"/> renames over PATH; disposing without a commit deletes it. A name ending in
/// <c>.gz</c> gets gzip (fastest level).
/// </summary>
public sealed class GeneratedFile : IDisposable
{
    private const int FileBufferBytes = 1 << 20;

    private readonly FileStream _file;
    private readonly GZipStream? _gzip;
    private bool _closed;
    private bool _committed;

    private GeneratedFile(string path, string tempPath, FileStream file, GZipStream? gzip)
    {
        Path = path;
        TempPath = tempPath;
        _file = file;
        _gzip = gzip;
    }

    public string Path { get; }

    public string TempPath { get; }

    public bool Compressed => _gzip is not null;

    /// <summary>Where to write the (uncompressed) content.</summary>
    public Stream Stream => _gzip is not null ? _gzip : _file;

    /// <summary>Creates PATH.tmp (replacing a stale one). Throws IOException or UnauthorizedAccessException.</summary>
    public static GeneratedFile Create(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string tempPath = path + ".tmp";
        var file = new FileStream(tempPath, FileMode.Create, FileAccess.Write, FileShare.None, FileBufferBytes);
        GZipStream? gzip = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
            ? new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true)
            : null;
        return new GeneratedFile(path, tempPath, file, gzip);
    }

    /// <summary>Finishes the file, moves it to its name (replacing any file there) and returns its size on disk.</summary>
    public long Commit()
    {
        Close();
        long size = new FileInfo(TempPath).Length;
        File.Move(TempPath, Path, overwrite: true);
        _committed = true;
        return size;
    }

    public void Dispose()
    {
        if (_committed)
        {
            return;
        }
        try
        {
            Close();
        }
        catch (IOException)
        {
            // The file is abandoned anyway; the first error is the one to report.
        }
        finally
        {
            File.Delete(TempPath);
        }
    }

    private void Close()
    {
        if (_closed)
        {
            return;
        }
        _closed = true;
        try
        {
            _gzip?.Dispose();
            _file.Flush(flushToDisk: false);
        }
        finally
        {
            _file.Dispose();
        }
    }
}
