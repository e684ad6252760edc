using XraySyslogSink.IntegrationTests.Infrastructure;

namespace XraySyslogSink.IntegrationTests.Operations;

/// <summary>config/prometheus/: promtool accepts the rules and their unit tests (every alert firing and not firing) pass.</summary>
public sealed class ShippedAlertRulesTests
{
    public static string Directory => Path.Combine(Repository.Root, "config", "prometheus");

    public static string RulesFile => Path.Combine(Directory, "xraysink-rules.yml");

    [Fact]
    public async Task Promtool_checks_the_shipped_rules()
    {
        (int exitCode, string output) = await ExternalTool.RunAsync(ExternalTool.Find("promtool", "prometheus"), ["check", "rules", RulesFile], TimeSpan.FromSeconds(60));
        Assert.True(exitCode == 0, output);
        Assert.Contains("SUCCESS: 13 rules found", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Promtool_unit_tests_of_the_shipped_rules_pass()
    {
        (int exitCode, string output) = await ExternalTool.RunAsync(ExternalTool.Find("promtool", "prometheus"), ["test", "rules", "xraysink-rules.test.yml"], TimeSpan.FromSeconds(60), Directory);
        Assert.True(exitCode == 0, output);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_alert_of_the_rules_file_has_a_firing_case_in_the_unit_tests()
    {
        string[] alerts = [.. (await File.ReadAllLinesAsync(RulesFile)).Select(l => l.Trim()).Where(l => l.StartsWith("- alert: ", StringComparison.Ordinal)).Select(l => l["- alert: ".Length..])];
        string tests = await File.ReadAllTextAsync(Path.Combine(Directory, "xraysink-rules.test.yml"));
        Assert.Equal(13, alerts.Length);
        foreach (string alert in alerts)
        {
            // Some evaluation of this alert expects one alert (exp_alerts with labels), not only silence.
            Assert.Contains($"alertname: {alert}\n      exp_alerts:\n      - exp_labels:", tests, StringComparison.Ordinal);
        }
    }
}
