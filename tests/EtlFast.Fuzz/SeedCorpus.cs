using System.Security.Cryptography;
using System.Text.Json;
using EtlFast.Benchmarks;

namespace EtlFast.Fuzz;

/// <summary>
/// Seeds for afl-fuzz: the BSON decode corpus (valid documents and decode errors) and seed-shaped user
/// documents for the reader and framer (the framer also gets them back to back, as a stream), the
/// example mappings for the mapping parser, with a dictionary of their words (DIR.dict).
/// </summary>
internal static class SeedCorpus
{
    public static int Write(string target, string dir, string root)
    {
        Directory.CreateDirectory(dir);
        List<byte[]> seeds = target == "mapping"
            ? [.. Directory.GetFiles(Path.Combine(root, "examples"), "*.json").Order(StringComparer.Ordinal).Select(File.ReadAllBytes)]
            : Bson(root, stream: target == "framer");
        foreach (byte[] seed in seeds)
        {
            File.WriteAllBytes(Path.Combine(dir, Convert.ToHexStringLower(SHA1.HashData(seed))[..16]), seed);
        }
        if (target == "mapping")
        {
            WriteMappingDictionary(dir.TrimEnd('/') + ".dict", root);
        }
        return seeds.Count;
    }

    /// <summary>
    /// An afl-fuzz dictionary of the mapping vocabulary: every property name and string value of the
    /// example mappings, quoted, so mutations splice in words the parser knows.
    /// </summary>
    private static int WriteMappingDictionary(string file, string root)
    {
        var words = new SortedSet<string>(StringComparer.Ordinal);
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        foreach (string path in Directory.GetFiles(Path.Combine(root, "examples"), "*.json"))
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(path), options);
            Collect(json.RootElement, words);
        }
        File.WriteAllLines(file, words.Where(w => w.Length is > 0 and < 64 && w.All(c => c is >= ' ' and <= '~' and not '"' and not '\\'))
            .Select(w => $"\"\\\"{w}\\\"\""));
        return words.Count;
    }

    private static void Collect(JsonElement element, SortedSet<string> words)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    words.Add(property.Name);
                    Collect(property.Value, words);
                }
                break;
            case JsonValueKind.Array:
                foreach (JsonElement item in element.EnumerateArray())
                {
                    Collect(item, words);
                }
                break;
            case JsonValueKind.String:
                words.Add(element.GetString()!);
                break;
        }
    }

    private static List<byte[]> Bson(string root, bool stream)
    {
        var seeds = new List<byte[]>();
        foreach (string file in Directory.GetFiles(Path.Combine(root, "tests/EtlFast.Bson.Tests/Corpus"), "bson-*.json").Order(StringComparer.Ordinal))
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(file));
            foreach (string group in new[] { "valid", "decodeErrors" })
            {
                seeds.AddRange(json.RootElement.GetProperty(group).EnumerateArray().Select(c => Convert.FromHexString(c.GetProperty("bson").GetString()!)));
            }
        }
        byte[][] users = SeedDocuments.Build(2, seed: 7);
        seeds.AddRange(users);
        if (stream)
        {
            seeds.Add([.. users[0], .. seeds[0], .. users[1]]);
        }
        return seeds;
    }
}
