using System.Text;
using EtlFast.Core.Inference;
using EtlFast.PgCopy;

namespace EtlFast.Core.Tests.Infer;

/// <summary>Names infer derives from field names: snake_case, the 63-byte rule, suffixes on collision.</summary>
public sealed class NamingTests
{
    [Theory]
    [InlineData("zipCode", "zip_code")]
    [InlineData("activityLog", "activity_log")]
    [InlineData("HTTPStatus", "http_status")]
    [InlineData("userID", "user_id")]
    [InlineData("_id", "id")]
    [InlineData("blob1", "blob1")]
    [InlineData("year2024Total", "year2024_total")]
    [InlineData("a-b c.d", "a_b_c_d")]
    [InlineData("Größe", "größe")]
    [InlineData("$$$", "")]
    public void Snake_case_of_field_names(string field, string expected) => Assert.Equal(expected, Naming.Snake(field));

    [Fact]
    public void Long_names_are_cut_to_63_bytes_at_a_character_boundary_and_suffixes_stay_inside()
    {
        string twoByte = new('é', 40); // 80 bytes
        string cut = Naming.Fit(twoByte);
        Assert.Equal(new string('é', 31), cut); // 62 bytes: a 32nd would need 64
        Assert.True(PgIdentifier.IsValid(cut, out _));

        string emoji = string.Concat(Enumerable.Repeat("\U0001F600", 20)); // 4 bytes each: never split a surrogate pair
        string cutEmoji = Naming.Fit(emoji, "_2");
        Assert.Equal(string.Concat(Enumerable.Repeat("\U0001F600", 15)) + "_2", cutEmoji);
        Assert.True(Encoding.UTF8.GetByteCount(cutEmoji) <= 63);

        var used = new HashSet<string>(StringComparer.Ordinal);
        string[] names = [Naming.Unique(used, new string('x', 80)), Naming.Unique(used, new string('x', 90)), Naming.Unique(used, new string('x', 64))];
        Assert.Equal([new string('x', 63), new string('x', 61) + "_2", new string('x', 61) + "_3"], names);
    }

    [Fact]
    public void Taken_names_try_the_next_candidate_then_a_suffix()
    {
        var used = new HashSet<string>(StringComparer.Ordinal) { "items" };
        Assert.Equal("orders_items", Naming.Unique(used, "items", "orders_items"));
        Assert.Equal("orders_items_2", Naming.Unique(used, "items", "orders_items"));
    }

    [Theory]
    [InlineData("users", "user")]
    [InlineData("addresses", "address")]
    [InlineData("activities", "activity")]
    [InlineData("social_media", "social_media")]
    [InlineData("status", "status")]
    [InlineData("preferences", "preference")]
    public void Key_columns_use_a_singular(string table, string singular) => Assert.Equal(singular, Naming.Singular(table));
}
