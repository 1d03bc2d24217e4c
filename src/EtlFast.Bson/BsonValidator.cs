namespace EtlFast.Bson;

/// <summary>
/// Checks a whole document: every element at every depth, the scopes of code-with-scope values
/// included, so that later partial walks of it cannot fail. Allocation-free on valid input.
/// </summary>
public static class BsonValidator
{
    /// <summary>Throws <see cref="BsonException"/> at the first fault in <paramref name="document"/>.</summary>
    /// <param name="baseOffset">Position of the document in its stream, for error offsets.</param>
    /// <returns>The number of elements in the document, nested ones included.</returns>
    public static int Validate(ReadOnlySpan<byte> document, long baseOffset = 0)
    {
        var reader = BsonReader.Create(document, baseOffset);
        return Walk(ref reader);
    }

    private static int Walk(ref BsonReader reader)
    {
        int count = 0;
        while (reader.Read())
        {
            count++;
            switch (reader.Type)
            {
                case BsonType.Document:
                case BsonType.Array:
                    var inner = reader.GetDocument();
                    count += Walk(ref inner);
                    break;
                case BsonType.JavaScriptWithScope:
                    var scope = reader.GetCodeWithScope(out _);
                    count += Walk(ref scope);
                    break;
            }
        }
        return count;
    }
}
