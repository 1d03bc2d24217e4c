using EtlFast.Core.Mapping;

namespace EtlFast.Core.Plan;

/// <summary>
/// A row context: the root document, or the items of one array path (<c>messages[]</c>,
/// <c>messages[].attachments[]</c>). One instance of it is live at a time while a document is walked:
/// its fields are captured into slots, its tables' rows are encoded, then its child contexts are walked.
/// </summary>
public sealed class ContextPlan
{
    public ContextPlan(int index, ContextPlan? parent, IReadOnlyList<PathSegment> path)
    {
        Index = index;
        Parent = parent;
        Path = path;
        Fields = new FieldNode("", parent: null);
    }

    /// <summary>Position in <see cref="LoadPlan.Contexts"/>; the root is 0.</summary>
    public int Index { get; }

    public ContextPlan? Parent { get; }

    /// <summary>The array path from the root (empty for the root); the last segment is the iterated array.</summary>
    public IReadOnlyList<PathSegment> Path { get; }

    /// <summary>Field paths captured in this context, as a tree of names.</summary>
    public FieldNode Fields { get; }

    /// <summary>Number of slots: one per captured field path.</summary>
    public int SlotCount { get; internal set; }

    /// <summary>Tables whose rows come from this context, in mapping order.</summary>
    public List<TablePlan> Tables { get; } = [];

    /// <summary>Child contexts (arrays iterated below this one), each located by a node of <see cref="Fields"/>.</summary>
    public List<ContextPlan> Children { get; } = [];

    /// <summary>The slot (in the parent context) that captures this context's array; -1 for the root.</summary>
    public int ArraySlot { get; internal set; } = -1;
}

/// <summary>A node of a context's field tree: a field name, the slot capturing it, and the names below it.</summary>
public sealed class FieldNode(string name, FieldNode? parent)
{
    public string Name { get; } = name;

    public byte[] NameUtf8 { get; } = System.Text.Encoding.UTF8.GetBytes(name);

    public FieldNode? Parent { get; } = parent;

    /// <summary>Slot that captures this field's element, or -1 when only the names below it matter.</summary>
    public int Slot { get; internal set; } = -1;

    public List<FieldNode> Children { get; } = [];

    /// <summary>Children as an array, filled when the plan is frozen (the walk indexes it).</summary>
    public FieldNode[] ChildArray { get; internal set; } = [];

    public FieldNode GetOrAdd(string childName)
    {
        foreach (FieldNode c in Children)
        {
            if (c.Name == childName)
            {
                return c;
            }
        }
        var node = new FieldNode(childName, this);
        Children.Add(node);
        return node;
    }

    /// <summary>Dotted path from the context (e.g. "address.coordinates").</summary>
    public string DottedPath => Parent is null || Parent.Parent is null && Parent.Name.Length == 0
        ? Name
        : Parent.DottedPath.Length == 0 ? Name : Parent.DottedPath + "." + Name;

    internal void Freeze()
    {
        ChildArray = [.. Children];
        foreach (FieldNode c in Children)
        {
            c.Freeze();
        }
    }
}
