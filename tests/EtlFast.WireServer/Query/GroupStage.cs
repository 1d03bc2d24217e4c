using MongoDB.Bson;

namespace EtlFast.WireServer.Query;

/// <summary>$group with a constant or "$field" key and the accumulators $sum, $min, $max, $first, $last, $avg, $count.</summary>
internal static class GroupStage
{
    public static List<DocView> Run(BsonDocument spec, List<DocView> items)
    {
        if (!spec.TryGetValue("_id", out var idExpression))
        {
            throw new CommandException(15955, "Location15955", "a group specification must include an _id");
        }
        if (idExpression is BsonDocument or BsonArray)
        {
            throw CommandException.NotImplemented($"$group _id expression {idExpression} (only a constant or \"$field\")");
        }
        string? keyField = Pipeline.FieldPath(idExpression, "$group _id");
        var accumulators = new List<(string Field, string Op, string? Path, BsonValue Constant)>();
        foreach (var element in spec)
        {
            if (element.Name == "_id")
            {
                continue;
            }
            if (element.Value is not BsonDocument acc || acc.ElementCount != 1)
            {
                throw new CommandException(40234, "Location40234", $"The field '{element.Name}' must be an accumulator object");
            }
            string op = acc.GetElement(0).Name;
            if (op is not ("$sum" or "$min" or "$max" or "$first" or "$last" or "$avg" or "$count"))
            {
                throw CommandException.NotImplemented($"$group accumulator '{op}'");
            }
            var argument = acc[0];
            if (op == "$count")
            {
                if (argument is not BsonDocument { ElementCount: 0 })
                {
                    throw CommandException.BadValue("$count takes no arguments, i.e. $count:{}");
                }
                op = "$sum";
                argument = 1;
            }
            else if (argument is BsonDocument or BsonArray)
            {
                throw CommandException.NotImplemented($"$group {op} argument {argument} (only a constant or \"$field\")");
            }
            accumulators.Add((element.Name, op, Pipeline.FieldPath(argument, $"$group {op}"), argument));
        }

        var groups = new SortedDictionary<BsonValue, Accumulated[]>(Comparer<BsonValue>.Create(BsonOrder.Compare));
        var order = new List<(BsonValue Key, Accumulated[] State)>();
        foreach (var item in items)
        {
            var key = keyField is null ? idExpression : Projection.Own(item.GetOrNull(keyField));
            if (!groups.TryGetValue(key, out var state))
            {
                state = new Accumulated[accumulators.Count];
                for (int i = 0; i < state.Length; i++)
                {
                    state[i] = new Accumulated();
                }
                groups.Add(key, state);
                order.Add((key, state));
            }
            for (int i = 0; i < accumulators.Count; i++)
            {
                var (_, op, path, constant) = accumulators[i];
                bool present = true;
                BsonValue value = constant;
                if (path is not null)
                {
                    present = item.TryGet(path, out value);
                    value = present ? Projection.Own(value) : BsonNull.Value;
                }
                state[i].Add(op, value, present);
            }
        }

        var output = new List<DocView>(order.Count);
        foreach (var (key, state) in order)
        {
            var doc = new BsonDocument("_id", key);
            for (int i = 0; i < accumulators.Count; i++)
            {
                doc.Add(accumulators[i].Field, state[i].Result(accumulators[i].Op));
            }
            output.Add(DocView.Of(doc));
        }
        return output;
    }

    private sealed class Accumulated
    {
        private BsonValue? best;
        private BsonValue? first;
        private BsonValue? last;
        private readonly NumericSum sum = new();
        private long numbers;

        public void Add(string op, BsonValue value, bool present)
        {
            switch (op)
            {
                case "$sum":
                case "$avg":
                    if (value.IsNumeric)
                    {
                        sum.Add(value);
                        numbers++;
                    }
                    return;
                case "$min":
                case "$max":
                    // $min and $max skip null and missing values.
                    if (!present || value.IsBsonNull || value.IsBsonUndefined)
                    {
                        return;
                    }
                    int c = best is null ? 0 : BsonOrder.Compare(value, best);
                    if (best is null || (op == "$min" ? c < 0 : c > 0))
                    {
                        best = value;
                    }
                    return;
                case "$first":
                    first ??= value;
                    return;
                default:
                    last = value;
                    return;
            }
        }

        public BsonValue Result(string op) => op switch
        {
            "$sum" => sum.Result(),
            "$avg" => numbers == 0 ? BsonNull.Value : sum.Average(numbers),
            "$min" or "$max" => best ?? BsonNull.Value,
            "$first" => first ?? BsonNull.Value,
            _ => last ?? BsonNull.Value,
        };
    }

    /// <summary>$sum's result type follows mongod: int while it fits, then long, double if any double, decimal if any decimal.</summary>
    private sealed class NumericSum
    {
        private long integral;
        private bool anyLong;
        private bool anyDouble;
        private bool anyDecimal;
        private double floating;
        private decimal exact;

        public void Add(BsonValue value)
        {
            switch (value.BsonType)
            {
                case BsonType.Decimal128:
                    anyDecimal = true;
                    exact += Decimal128.ToDecimal(value.AsDecimal128);
                    return;
                case BsonType.Double:
                    anyDouble = true;
                    floating += value.AsDouble;
                    exact += (decimal)value.AsDouble;
                    return;
                default:
                    anyLong |= value.BsonType == BsonType.Int64;
                    long v = value.ToInt64();
                    if ((v > 0 && integral > long.MaxValue - v) || (v < 0 && integral < long.MinValue - v))
                    {
                        anyDouble = true; // overflow turns the sum into a double, as in mongod
                        floating += integral;
                        integral = 0;
                    }
                    integral += v;
                    exact += v;
                    return;
            }
        }

        public BsonValue Result()
        {
            if (anyDecimal)
            {
                return new BsonDecimal128(new Decimal128(exact));
            }
            if (anyDouble)
            {
                return new BsonDouble(floating + integral);
            }
            if (!anyLong && integral is >= int.MinValue and <= int.MaxValue)
            {
                return new BsonInt32((int)integral);
            }
            return new BsonInt64(integral);
        }

        public BsonValue Average(long count) =>
            anyDecimal ? new BsonDecimal128(new Decimal128(exact / count)) : new BsonDouble((floating + integral) / count);
    }
}
