using EtlFast.Core.Mapping;
using static EtlFast.Core.Tests.Mapping.MappingTestKit;

namespace EtlFast.Core.Tests.Mapping;

/// <summary>Primary keys, indexes and foreign keys.</summary>
public sealed class MappingKeyTests
{
    [Fact]
    public void Indexes_read_both_forms()
    {
        MappingDocument m = Parse("""
            {
              "collection": "c",
              "tables": [{ "name": "t", "columns": [
                  { "name": "id", "type": "bigint", "from": "_id" },
                  { "name": "email", "from": "email" },
                  { "name": "org", "from": "org" }
                ],
                "primaryKey": ["id"],
                "indexes": [
                  ["org", "email"],
                  { "columns": ["email"], "unique": true },
                  { "columns": ["org"] }
                ] }]
            }
            """);
        IReadOnlyList<IndexMapping> ix = m.Tables[0].Indexes;
        Assert.Equal(3, ix.Count);
        Assert.Equal(["org", "email"], ix[0].Columns);
        Assert.False(ix[0].Unique);
        Assert.Equal(10, ix[0].Line);
        Assert.Equal(["email"], ix[1].Columns);
        Assert.True(ix[1].Unique);
        Assert.False(ix[2].Unique);
    }

    [Fact]
    public void Primary_key_naming_an_unknown_column_is_reported_at_the_name()
    {
        FailsAtMark("""
            {
              "collection": "c",
              "tables": [{ "name": "t", "columns": [
                  { "name": "user_id", "type": "bigint", "from": "_id" }
                ],
                "primaryKey": [
                  "userid" // <-
                ] }]
            }
            """, "\"primaryKey\" of table \"t\" names column \"userid\", which the table does not have", "did you mean \"user_id\"?");
    }

    [Fact]
    public void Primary_key_listing_a_column_twice_is_an_error()
    {
        FailsAtMark("""
            {
              "collection": "c",
              "tables": [{ "name": "t", "columns": [{ "name": "id", "type": "bigint", "from": "_id" }],
                "primaryKey": ["id",
                  "id"] }] // <-
            }
            """, "names column \"id\" twice");
    }

    [Fact]
    public void Index_naming_an_unknown_column_is_reported_at_the_name()
    {
        FailsAtMark("""
            {
              "collection": "c",
              "tables": [{ "name": "t", "columns": [{ "name": "email", "from": "email" }],
                "indexes": [
                  { "columns": ["emial"], "unique": true } // <-
                ] }]
            }
            """, "an index of table \"t\" names column \"emial\"", "did you mean \"email\"?");
    }

    [Fact]
    public void Index_with_no_columns_is_an_error()
    {
        FailsAtMark("""
            {
              "collection": "c",
              "tables": [{ "name": "t", "columns": [{ "name": "email", "from": "email" }],
                "indexes": [
                  [] // <-
                ] }]
            }
            """, "lists no columns");
    }

    [Fact]
    public void Index_object_with_an_unknown_key_is_an_error()
    {
        FailsAtMark("""
            {
              "collection": "c",
              "tables": [{ "name": "t", "columns": [{ "name": "email", "from": "email" }],
                "indexes": [
                  { "columns": ["email"], "uniqe": true } // <-
                ] }]
            }
            """, "unknown key \"uniqe\"", "did you mean \"unique\"?");
    }

    [Fact]
    public void Json_column_cannot_be_a_key()
    {
        FailsAtMark("""
            {
              "collection": "c",
              "tables": [{ "name": "t", "columns": [{ "name": "doc", "type": "json", "from": "doc" }],
                "primaryKey": [
                  "doc" // <-
                ] }]
            }
            """, "is json, which has no equality operator");
    }

    private const string Parents = """
            {
              "collection": "c",
              "tables": [
                { "name": "users", "columns": [
                    { "name": "id", "type": "bigint", "from": "_id" },
                    { "name": "email", "from": "email" }
                  ],
                  "primaryKey": ["id"] },
                { "name": "orders", "path": "orders[]", "columns": [
                    { "name": "id", "type": "bigint", "from": "$root._id * 100 + $ordinal" },

            """;

    [Fact]
    public void Reference_to_an_earlier_table_is_read()
    {
        MappingDocument m = Parse(Parents + """
                    { "name": "user_id", "type": "integer", "from": "$root._id", "references": "users.id" }
                  ] }
              ]
            }
            """);
        Assert.Equal(new ForeignKeyMapping("users", "id"), m.Tables[1].Columns[1].References);
    }

    [Fact]
    public void Reference_to_an_unknown_table_is_reported_at_the_reference()
    {
        FailsAtMark(Parents + """
                    { "name": "user_id", "type": "bigint", "from": "$root._id",
                      "references": "user.id" } // <-
                  ] }
              ]
            }
            """, "names table \"user\", which the mapping does not define", "did you mean \"users\"?");
    }

    [Fact]
    public void Reference_to_an_unknown_column_is_reported_at_the_reference()
    {
        FailsAtMark(Parents + """
                    { "name": "user_id", "type": "bigint", "from": "$root._id",
                      "references": "users.ids" } // <-
                  ] }
              ]
            }
            """, "names column \"ids\", which table \"users\" does not have", "did you mean \"id\"?");
    }

    [Fact]
    public void Reference_to_a_later_table_asks_to_move_it_up()
    {
        FailsAtMark("""
            {
              "collection": "c",
              "tables": [
                { "name": "orders", "path": "orders[]", "columns": [
                    { "name": "user_id", "type": "bigint", "from": "$root._id",
                      "references": "users.id" } // <-
                  ] },
                { "name": "users", "columns": [{ "name": "id", "type": "bigint", "from": "_id" }], "primaryKey": ["id"] }
              ]
            }
            """, "names table \"users\", defined further down (line 8)", "move it above table \"orders\"");
    }

    [Fact]
    public void Reference_without_a_dot_is_an_error()
    {
        FailsAtMark(Parents + """
                    { "name": "user_id", "type": "bigint", "from": "$root._id",
                      "references": "users" } // <-
                  ] }
              ]
            }
            """, "write the target as \"table.column\"");
    }

    [Fact]
    public void Reference_target_must_be_unique()
    {
        FailsAtMark(Parents + """
                    { "name": "email", "from": "$root.email",
                      "references": "users.email" } // <-
                  ] }
              ]
            }
            """, "needs \"email\" to be unique in table \"users\"", "\"primaryKey\": [\"email\"]");
    }

    [Fact]
    public void Reference_between_incomparable_types_is_an_error()
    {
        FailsAtMark(Parents + """
                    { "name": "user_id", "type": "text", "from": "$root.username",
                      "references": "users.id" } // <-
                  ] }
              ]
            }
            """, "column \"user_id\" is text but \"users.id\" is bigint");
    }

    [Fact]
    public void Reference_may_name_a_table_with_a_dot_in_its_name()
    {
        MappingDocument m = Parse("""
            {
              "collection": "c",
              "tables": [
                { "name": "a.b", "columns": [{ "name": "id", "type": "bigint", "from": "_id" }], "primaryKey": ["id"] },
                { "name": "kids", "path": "kids[]", "columns": [
                  { "name": "parent", "type": "bigint", "from": "$root._id", "references": "a.b.id" }] }
              ]
            }
            """);
        Assert.Equal(new ForeignKeyMapping("a.b", "id"), m.Tables[1].Columns[0].References);
    }

    [Fact]
    public void Self_reference_is_allowed()
    {
        MappingDocument m = Parse("""
            {
              "collection": "c",
              "tables": [
                { "name": "people", "columns": [
                  { "name": "id", "type": "bigint", "from": "_id" },
                  { "name": "manager", "type": "bigint", "from": "managerId", "onMissing": "null", "references": "people.id" }],
                  "primaryKey": ["id"] }
              ]
            }
            """);
        Assert.Equal(new ForeignKeyMapping("people", "id"), m.Tables[0].Columns[1].References);
    }
}
