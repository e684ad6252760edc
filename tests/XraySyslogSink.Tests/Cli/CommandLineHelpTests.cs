using XraySyslogSink.Cli;

namespace XraySyslogSink.Tests.Cli;

/// <summary>Every command and subcommand has --help; usage errors name what is accepted and exit 2. No database is touched.</summary>
public sealed class CommandLineHelpTests
{
    public static TheoryData<string, string> Commands => new()
    {
        { "migrate", "xraysink migrate [options]" },
        { "partitions", "xraysink partitions [command] [options]" },
        { "partitions list", "xraysink partitions list [options]" },
        { "partitions drop", "xraysink partitions drop [options]" },
        { "import", "xraysink import <FILE>... [options]" },
        { "report", "xraysink report [command] [options]" },
        { "report sessions", "xraysink report sessions [options]" },
        { "report activity", "xraysink report activity [options]" },
        { "report top-endpoints", "xraysink report top-endpoints [options]" },
        { "report top-protocols", "xraysink report top-protocols [options]" },
        { "report routes", "xraysink report routes [options]" },
        { "report ips-per-user", "xraysink report ips-per-user [options]" },
        { "report users-per-ip", "xraysink report users-per-ip [options]" },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Each_command_prints_its_help_and_exits_0(string command, string usage)
    {
        foreach (string[] args in (string[][])[[.. command.Split(' '), "--help"], [.. command.Split(' '), "-h"], ["help", .. command.Split(' ')]])
        {
            (int exit, string output, string error) = await RunAsync(args);
            Assert.Equal(0, exit);
            Assert.Equal(string.Empty, error);
            Assert.Contains($"Usage:\n  {usage}\n", output, StringComparison.Ordinal);
            Assert.Contains("--config <FILE>", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Report_help_names_each_reports_own_options()
    {
        (_, string sessions, _) = await RunAsync("report", "sessions", "--help");
        foreach (string option in (string[])["--from <TIME>", "--to <TIME>", "--user <EMAIL>", "--limit <N>", "--format <table|csv|json>", "--gap <AGE>"])
        {
            Assert.Contains(option, sessions, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("--bucket", sessions, StringComparison.Ordinal);
        (_, string activity, _) = await RunAsync("report", "activity", "--help");
        Assert.Contains("--bucket <AGE>", activity, StringComparison.Ordinal);
        Assert.DoesNotContain("--gap", activity, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("report", "xraysink report: name one report: sessions, activity, top-endpoints, top-protocols, routes, ips-per-user, users-per-ip, nodes, node-traffic, shared-accounts\nusage: xraysink report sessions|activity|top-endpoints|top-protocols|routes|ips-per-user|users-per-ip|nodes|node-traffic|shared-accounts  (see 'xraysink report --help')\n")]
    [InlineData("partitions list --format xml", "xraysink partitions: --format must be table, csv or json (got 'xml')\nusage: xraysink partitions list [--format table|csv|json]  (see 'xraysink partitions list --help')\n")]
    [InlineData("report sessions --bucket 1h", "xraysink report: --bucket applies to the activity and node-traffic report\nusage: xraysink report sessions [--from TIME] [--to TIME] [--user EMAIL] [--node NAME] [--limit N] [--format table|csv|json] [--gap AGE]  (see 'xraysink report sessions --help')\n")]
    [InlineData("import", "xraysink import: import needs FILE...\nusage: xraysink import FILE... [--time-zone ZONE] [--host NAME] [--batch-size N] [--node NAME]  (see 'xraysink import --help')\n")]
    [InlineData("import a.log --batch-size 0", "xraysink import: --batch-size must be a whole number from 1 to 1000000 (got '0')\nusage: xraysink import FILE... [--time-zone ZONE] [--host NAME] [--batch-size N] [--node NAME]  (see 'xraysink import --help')\n")]
    [InlineData("migrate extra", "xraysink migrate: unexpected argument 'extra'\nusage: xraysink migrate [--from DATE] [--to DATE]  (see 'xraysink migrate --help')\n")]
    public async Task Usage_errors_name_the_valid_choices_and_exit_2(string args, string expected)
    {
        (int exit, string output, string error) = await RunAsync(args.Split(' '));
        Assert.Equal(CommandLine.UsageError, exit);
        Assert.Equal(string.Empty, output);
        Assert.Equal(expected, error);
    }

    [Fact]
    public async Task Help_without_a_command_is_the_overview()
    {
        foreach (string[] args in (string[][])[[], ["help"], ["--help"], ["-h"]])
        {
            (int exit, string output, _) = await RunAsync(args);
            Assert.Equal(0, exit);
            Assert.Equal(CommandLine.Help(), output);
        }
    }

    private static async Task<(int Exit, string Out, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter { NewLine = "\n" };
        using var error = new StringWriter { NewLine = "\n" };
        var context = new CliContext(output, error, TimeProvider.System, CancellationToken.None);
        int exit = await CommandLine.RunAsync(args, context);
        return (exit, output.ToString().ReplaceLineEndings("\n"), error.ToString());
    }
}
