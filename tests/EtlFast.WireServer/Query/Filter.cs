using MongoDB.Bson;

namespace EtlFast.WireServer.Query;

/// <summary>
/// The filter subset chunked reads need: equality and $eq/$gt/$gte/$lt/$lte/$in on top-level fields,
/// joined implicitly or by $and, and $nor (none of its clauses). Semantics follow mongod: comparisons stay inside the operand's type
/// bracket (so {$gte: 5} never matches a string), null matches a missing field, an array field
/// matches when any element does. Anything else is refused by name.
/// </summary>
internal sealed class Filter
{
    private readonly List<Condition> conditions = [];
    private readonly List<Filter> ands = [];
    private readonly List<Filter> nors = [];

    private Filter()
    {
    }

    public static Filter Everything { get; } = new();

    public bool IsEmpty => conditions.Count == 0 && ands.Count == 0 && nors.Count == 0;

    public static Filter Compile(BsonDocument? spec)
    {
        var filter = new Filter();
        if (spec is null)
        {
            return filter;
        }
        foreach (var element in spec)
        {
            if (element.Name.StartsWith('$'))
            {
                filter.AddLogical(element);
            }
            else
            {
                filter.AddField(element.Name, element.Value);
            }
        }
        return filter;
    }

    private void AddLogical(BsonElement element)
    {
        List<Filter> into = element.Name switch
        {
            "$and" => ands,
            "$nor" => nors,
            _ => throw CommandException.NotImplemented($"query operator '{element.Name}'"),
        };
        if (element.Value is not BsonArray clauses || clauses.Count == 0)
        {
            throw CommandException.BadValue($"{element.Name} must be a nonempty array");
        }
        foreach (var clause in clauses)
        {
            if (clause is not BsonDocument sub)
            {
                throw CommandException.BadValue($"{element.Name} argument's entries must be objects");
            }
            into.Add(Compile(sub));
        }
    }

    private void AddField(string field, BsonValue value)
    {
        if (field.Contains('.', StringComparison.Ordinal))
        {
            throw CommandException.NotImplemented($"dotted field path '{field}' in a filter");
        }
        if (value is BsonDocument operators && operators.ElementCount > 0 && operators.GetElement(0).Name.StartsWith('$'))
        {
            foreach (var op in operators)
            {
                conditions.Add(Condition.Compile(field, op.Name, op.Value));
            }
            return;
        }
        if (value.BsonType == BsonType.RegularExpression)
        {
            throw CommandException.NotImplemented($"regular expression match in a filter (field '{field}')");
        }
        conditions.Add(new Condition(field, Op.Eq, value, null));
    }

    public bool Matches(DocView document)
    {
        foreach (var condition in conditions)
        {
            if (!condition.Matches(document))
            {
                return false;
            }
        }
        foreach (var and in ands)
        {
            if (!and.Matches(document))
            {
                return false;
            }
        }
        foreach (var nor in nors)
        {
            if (nor.Matches(document))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Bounds on `_id` implied by the top-level conditions and the $and clauses (all conjunctive; $nor implies none).</summary>
    public IdBounds IdBounds()
    {
        if (IsEmpty)
        {
            return Query.IdBounds.None;
        }
        var bounds = new IdBounds();
        Collect(bounds);
        return bounds;
    }

    private void Collect(IdBounds bounds)
    {
        foreach (var c in conditions)
        {
            if (c.Field == "_id")
            {
                c.AddBounds(bounds);
            }
        }
        foreach (var and in ands)
        {
            and.Collect(bounds);
        }
    }

    private enum Op
    {
        Eq,
        Gt,
        Gte,
        Lt,
        Lte,
        In,
    }

    private sealed record Condition(string Field, Op Op, BsonValue Operand, BsonArray? Values)
    {
        public static Condition Compile(string field, string op, BsonValue operand)
        {
            switch (op)
            {
                case "$eq": return new Condition(field, Op.Eq, operand, null);
                case "$gt": return new Condition(field, Op.Gt, operand, null);
                case "$gte": return new Condition(field, Op.Gte, operand, null);
                case "$lt": return new Condition(field, Op.Lt, operand, null);
                case "$lte": return new Condition(field, Op.Lte, operand, null);
                case "$in":
                    if (operand is not BsonArray values)
                    {
                        throw CommandException.BadValue("$in needs an array");
                    }
                    foreach (var v in values)
                    {
                        if (v.BsonType == BsonType.RegularExpression)
                        {
                            throw CommandException.NotImplemented($"regular expression inside $in (field '{field}')");
                        }
                    }
                    return new Condition(field, Op.In, BsonNull.Value, values);
                default:
                    throw CommandException.NotImplemented($"query operator '{op}'");
            }
        }

        public bool Matches(DocView document)
        {
            bool present = document.TryGet(Field, out var value);
            switch (Op)
            {
                case Op.Eq:
                    return EqualityMatches(present, value, Operand);
                case Op.In:
                    foreach (var v in Values!)
                    {
                        if (EqualityMatches(present, value, v))
                        {
                            return true;
                        }
                    }
                    return false;
                default:
                    return ComparisonMatches(present, value);
            }
        }

        private static bool EqualityMatches(bool present, BsonValue value, BsonValue operand)
        {
            if (operand.IsBsonNull)
            {
                return !present || value.IsBsonNull || (value is BsonArray a && a.Contains(BsonNull.Value));
            }
            if (!present)
            {
                return false;
            }
            if (BsonOrder.Compare(value, operand) == 0)
            {
                return true;
            }
            if (value is BsonArray array)
            {
                foreach (var item in array)
                {
                    if (BsonOrder.Compare(item, operand) == 0)
                    {
                        return true;
                    }
                }
            }
            return false;
        }

        private bool ComparisonMatches(bool present, BsonValue value)
        {
            bool crossBracket = Operand.BsonType is BsonType.MinKey or BsonType.MaxKey;
            if (Operand.IsBsonNull)
            {
                // {$gte: null} and {$lte: null} mean "is null or missing"; $gt/$lt null match nothing.
                return (Op is Op.Gte or Op.Lte) && EqualityMatches(present, value, Operand);
            }
            if (!present)
            {
                if (!crossBracket)
                {
                    return false;
                }
                value = BsonNull.Value;
            }
            if (Test(value, crossBracket))
            {
                return true;
            }
            if (value is BsonArray array)
            {
                foreach (var item in array)
                {
                    if (Test(item, crossBracket))
                    {
                        return true;
                    }
                }
            }
            return false;
        }

        private bool Test(BsonValue value, bool crossBracket)
        {
            if (!crossBracket && BsonOrder.Rank(value) != BsonOrder.Rank(Operand))
            {
                return false;
            }
            int c = BsonOrder.Compare(value, Operand);
            return Op switch
            {
                Op.Gt => c > 0,
                Op.Gte => c >= 0,
                Op.Lt => c < 0,
                _ => c <= 0,
            };
        }

        public void AddBounds(IdBounds bounds)
        {
            switch (Op)
            {
                case Op.Eq:
                    bounds.Lower.Add(IdBound.At(Operand, true));
                    bounds.Upper.Add(IdBound.At(Operand, true));
                    return;
                case Op.In:
                    if (Values!.Count == 0)
                    {
                        bounds.Lower.Add(IdBound.Bracket(128)); // matches nothing
                        return;
                    }
                    BsonValue min = Values[0], max = Values[0];
                    foreach (var v in Values)
                    {
                        if (BsonOrder.Compare(v, min) < 0)
                        {
                            min = v;
                        }
                        if (BsonOrder.Compare(v, max) > 0)
                        {
                            max = v;
                        }
                    }
                    bounds.Lower.Add(IdBound.At(min, true));
                    bounds.Upper.Add(IdBound.At(max, true));
                    return;
            }
            bool crossBracket = Operand.BsonType is BsonType.MinKey or BsonType.MaxKey;
            int rank = BsonOrder.Rank(Operand);
            if (Op is Op.Gt or Op.Gte)
            {
                bounds.Lower.Add(IdBound.At(Operand, Op == Op.Gte));
                if (!crossBracket)
                {
                    bounds.Upper.Add(IdBound.Bracket(rank));
                }
            }
            else
            {
                bounds.Upper.Add(IdBound.At(Operand, Op == Op.Lte));
                if (!crossBracket)
                {
                    bounds.Lower.Add(IdBound.Bracket(rank));
                }
            }
        }
    }
}
