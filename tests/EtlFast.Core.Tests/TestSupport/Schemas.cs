namespace EtlFast.Core.Tests.TestSupport;

/// <summary>Unique schema names for one test class instance, dropped (with everything in them) when it is disposed.</summary>
internal sealed class Schemas : IDisposable
{
    private readonly List<string> _names = [];

    /// <summary>A fresh schema name (the schema itself is not created: the load or the test does that).</summary>
    public string New(string prefix)
    {
        string s = TestPg.UniqueSchema(prefix);
        _names.Add(s);
        return s;
    }

    /// <summary>Registers a name chosen by the test (e.g. a hostile one) for cleanup.</summary>
    public string Add(string name)
    {
        _names.Add(name);
        return name;
    }

    public void Dispose()
    {
        foreach (string s in _names)
        {
            TestPg.DropSchema(s);
        }
    }
}
