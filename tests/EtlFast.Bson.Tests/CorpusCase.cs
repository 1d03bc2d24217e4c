using System.Text.Json;

namespace EtlFast.Bson.Tests;

/// <summary>
/// One case of our decode corpus (Corpus/bson-*.json, written by Corpus/make_corpus.py in the shape
/// of the BSON specification's corpus): hex bytes plus either the expected elements or the expected
/// error kind, offset (from the document's first byte) and dotted path.
/// </summary>
public sealed record CorpusCase(string File, string Description, byte[] Bson, WalkItem[]? Elements,
    BsonErrorKind? Kind, long Offset, string Path)
{
    private static readonly Lazy<IReadOnlyList<CorpusCase>> AllCases = new(Load);

    public static IReadOnlyList<CorpusCase> All => AllCases.Value;

    public static TheoryData<string, string> Valid() => Names(c => c.Elements is not null);

    public static TheoryData<string, string> DecodeErrors() => Names(c => c.Kind is not null);

    public static CorpusCase Find(string file, string description) =>
        All.Single(c => c.File == file && c.Description == description);

    private static TheoryData<string, string> Names(Func<CorpusCase, bool> filter)
    {
        var data = new TheoryData<string, string>();
        foreach (CorpusCase c in All.Where(filter))
        {
            data.Add(c.File, c.Description);
        }
        return data;
    }

    private static List<CorpusCase> Load()
    {
        string dir = System.IO.Path.Combine(AppContext.BaseDirectory, "Corpus");
        var cases = new List<CorpusCase>();
        foreach (string path in Directory.GetFiles(dir, "bson-*.json").Order(StringComparer.Ordinal))
        {
            string file = System.IO.Path.GetFileNameWithoutExtension(path);
            using var json = JsonDocument.Parse(System.IO.File.ReadAllBytes(path));
            foreach (JsonElement v in json.RootElement.GetProperty("valid").EnumerateArray())
            {
                WalkItem[] elements = v.GetProperty("elements").EnumerateArray()
                    .Select(e => new WalkItem(e[0].GetString()!, e[1].GetString()!, e[2].GetString()!)).ToArray();
                cases.Add(new CorpusCase(file, v.GetProperty("description").GetString()!,
                    Convert.FromHexString(v.GetProperty("bson").GetString()!), elements, null, 0, ""));
            }
            foreach (JsonElement e in json.RootElement.GetProperty("decodeErrors").EnumerateArray())
            {
                cases.Add(new CorpusCase(file, e.GetProperty("description").GetString()!,
                    Convert.FromHexString(e.GetProperty("bson").GetString()!), null,
                    Enum.Parse<BsonErrorKind>(e.GetProperty("kind").GetString()!),
                    e.GetProperty("offset").GetInt64(), e.GetProperty("path").GetString()!));
            }
        }
        if (cases.Count == 0)
        {
            throw new InvalidOperationException($"no corpus files in {dir}");
        }
        return cases;
    }
}
