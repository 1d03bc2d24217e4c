namespace EtlFast.Bson;

/// <summary>Malformed BSON. Carries the absolute byte offset of the fault and the dotted field path.</summary>
public sealed class BsonException : Exception
{
    public BsonException(BsonErrorKind kind, long offset, string path, string message)
        : base(message)
    {
        Kind = kind;
        Offset = offset;
        Path = path;
    }

    public BsonErrorKind Kind { get; }

    /// <summary>Byte offset of the fault, counted from the start of the stream or file.</summary>
    public long Offset { get; }

    /// <summary>Dotted path of the element at fault (array items by index, e.g. <c>messages.2.body</c>); empty at document level.</summary>
    public string Path { get; }
}
