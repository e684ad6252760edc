using System.Text.RegularExpressions;
using XraySyslogSink.IntegrationTests.Infrastructure;

namespace XraySyslogSink.IntegrationTests.Operations;

/// <summary>
/// docs/cookbook.md: every SQL block, with its psql variables substituted as the text above it says, run as
/// <c>xraysink_reader</c> over <see cref="Cli.KnownLog"/>; its rows must be the expected ones and its plan must read only
/// the range's partition.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed partial class CookbookTests(PostgresServer postgres)
{
    private static readonly Dictionary<string, string> Defaults = new(StringComparer.Ordinal)
    {
        ["from"] = "2025-11-17T00:00:00Z",
        ["to"] = "2025-11-18T00:00:00Z",
        ["user"] = "alice@example.com",
        ["ip"] = "203.0.113.10",
        ["domain"] = "example.com",
        ["day"] = "2025-11-17",
    };

    /// <summary>Per section: the variables the text sets for it (over <see cref="Defaults"/>) and the rows, columns joined by " | ".</summary>
    private static readonly Dictionary<string, (Dictionary<string, string> Set, string[] Rows)> Expected = new(StringComparer.Ordinal)
    {
        ["Who used this account from where"] = ([], [
            "203.0.113.10 | 3 | 2025-11-17 08:00:00 | 2025-11-17 08:10:00",
            "198.51.100.7 | 2 | 2025-11-17 09:30:00 | 2025-11-17 09:45:00",
        ]),
        ["Who was behind this address"] = ([], [
            "alice@example.com | 3 | 2025-11-17 08:00:00 | 2025-11-17 08:10:00",
            "bob@example.com | 3 | 2025-11-17 08:20:00 | 2025-11-17 10:05:00",
        ]),
        ["Who went to this domain"] = ([], [
            "alice@example.com | api.example.com | 1 | 2025-11-17 08:05:00 | 2025-11-17 08:05:00",
            "alice@example.com | www.example.com | 2 | 2025-11-17 08:00:00 | 2025-11-17 09:30:00",
            "bob@example.com | mail.example.com | 1 | 2025-11-17 08:40:00 | 2025-11-17 08:40:00",
            "bob@example.com | www.example.com | 2 | 2025-11-17 08:20:00 | 2025-11-17 10:05:00",
        ]),
        ["What did this user do between two times"] = (new() { ["from"] = "2025-11-17T08:00:00Z", ["to"] = "2025-11-17T09:00:00Z", ["user"] = "bob@example.com" }, [
            "2025-11-17 08:20:00 | 203.0.113.10 | 50006 | accepted | tcp | www.example.com | 443 | trojan-in | direct",
            "2025-11-17 08:40:00 | 203.0.113.10 | 50007 | accepted | tcp | mail.example.com | 993 | trojan-in | direct",
        ]),
        ["Top destinations of a day"] = ([], [
            "www.example.com | 4 | 2",
            "api.example.com | 1 | 1",
            "blocked.example | 1 | 1",
            "dns.example.net | 1 | 1",
            "mail.example.com | 1 | 1",
            "time.example.net | 1 | 1",
            "video.example.org | 1 | 1",
        ]),
        ["Which outbound tags were used"] = ([], [
            "direct | 7 | 3 | 0",
            "proxy-de | 2 | 1 | 0",
            "block | 1 | 1 | 0",
            "NULL | 1 | 0 | 1",
        ]),
        ["Which routes were used"] = ([], [
            "trojan-in | direct | 4 | 2 | 3",
            "vless-in | direct | 3 | 1 | 3",
            "vless-in | proxy-de | 2 | 1 | 2",
            "trojan-in | block | 1 | 1 | 1",
            "NULL | NULL | 1 | 0 | 0",
        ]),
        ["Connections per hour"] = ([], [
            "2025-11-17 08:00:00 | 5 | 2",
            "2025-11-17 09:00:00 | 2 | 1",
            "2025-11-17 10:00:00 | 4 | 2",
        ]),
    };

    public static TheoryData<string> Sections => new(Expected.Keys);

    [Fact]
    public void Every_query_of_the_cookbook_has_expected_rows_here_and_every_expectation_a_query()
    {
        Assert.Equal(Expected.Keys.Order(StringComparer.Ordinal), Queries().Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Sections))]
    public async Task Each_query_returns_its_rows_as_the_reader_and_reads_only_the_ranges_partition(string section)
    {
        string reader = await ReaderQueries.KnownDayAsync(postgres);
        (Dictionary<string, string> set, string[] rows) = Expected[section];
        string sql = Substitute(Queries()[section], set);

        Assert.Equal(rows, await ReaderQueries.RowsAsync(reader, sql));

        string plan = string.Join('\n', await ReaderQueries.RowsAsync(reader, "EXPLAIN (COSTS OFF) " + sql));
        Assert.Contains("logs_2025_11_17", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("logs_2025_11_16", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("logs_2025_11_18", plan, StringComparison.Ordinal);
    }

    /// <summary>The cookbook's SQL blocks by the heading of their section.</summary>
    private static Dictionary<string, string> Queries()
    {
        string text = File.ReadAllText(Path.Combine(Repository.Root, "docs", "cookbook.md"));
        var queries = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match section in SectionPattern().Matches(text))
        {
            foreach (Match block in SqlBlockPattern().Matches(section.Groups["body"].Value))
            {
                Assert.True(queries.TryAdd(section.Groups["title"].Value.Trim(), block.Groups["sql"].Value), $"two SQL blocks under '{section.Groups["title"].Value}'");
            }
        }

        return queries;
    }

    /// <summary>psql's <c>:'name'</c> becomes the quoted value, as psql does it.</summary>
    private static string Substitute(string sql, Dictionary<string, string> set) =>
        VariablePattern().Replace(sql, m =>
        {
            string name = m.Groups["name"].Value;
            string value = set.TryGetValue(name, out string? given) ? given : Defaults[name];
            return "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
        });

    [GeneratedRegex(@"^## (?<title>[^\n]+)\n(?<body>.*?)(?=^## |\z)", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex SectionPattern();

    [GeneratedRegex(@"^```sql\n(?<sql>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex SqlBlockPattern();

    [GeneratedRegex(@":'(?<name>[a-z_]+)'")]
    private static partial Regex VariablePattern();
}
