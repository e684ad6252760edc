using System.Reflection;
using NetArchTest.Rules;
using XraySyslogSink.Core;
using Xunit.Abstractions;

namespace XraySyslogSink.Tests.Architecture;

/// <summary>
/// The folders of src/XraySyslogSink depend one way, along the data flow:
/// Core → Telemetry → {Syslog, Xray, Spool, Storage, Nodes} → Listeners → Pipeline → Import → Hosting → Cli.
/// The search reads the compiled IL (field, property and parameter types, base types, attributes and every type a
/// method body touches, lambdas included), so a dependency cannot hide behind `var` or a using alias.
/// </summary>
public sealed class LayeringTests(ITestOutputHelper output)
{
    private const string Root = "XraySyslogSink";

    private static readonly Assembly Daemon = typeof(Transport).Assembly;

    /// <summary>Each folder and the folders it may use besides itself (the framework and packages are free).</summary>
    private static readonly Dictionary<string, string[]> MayUse = new()
    {
        ["Core"] = [],
        ["Telemetry"] = ["Core"],
        ["Syslog"] = ["Core", "Telemetry"],
        ["Xray"] = ["Core", "Telemetry"],
        ["Spool"] = ["Core", "Telemetry"],
        ["Storage"] = ["Core", "Telemetry"],
        ["Nodes"] = ["Core", "Telemetry"],
        ["Listeners"] = ["Core", "Telemetry", "Spool", "Syslog", "Nodes"],
        ["Pipeline"] = ["Core", "Telemetry", "Spool", "Syslog", "Xray", "Storage", "Nodes"],
        ["Import"] = ["Core", "Telemetry", "Spool", "Syslog", "Xray", "Storage", "Nodes", "Listeners", "Pipeline"],
        ["Hosting"] = ["Core", "Telemetry", "Spool", "Syslog", "Xray", "Storage", "Nodes", "Listeners", "Pipeline", "Import"],
        ["Cli"] = ["Core", "Telemetry", "Spool", "Syslog", "Xray", "Storage", "Nodes", "Listeners", "Pipeline", "Import", "Hosting"],
    };

    public static TheoryData<string> Folders() => [.. MayUse.Keys];

    [Theory]
    [MemberData(nameof(Folders))]
    public void A_folder_uses_only_the_folders_before_it(string folder)
    {
        var forbidden = MayUse.Keys
            .Where(other => other != folder && !MayUse[folder].Contains(other))
            .Select(other => $"{Root}.{other}")
            .ToArray();

        var result = Types.InAssembly(Daemon)
            .That().ResideInNamespace($"{Root}.{folder}")
            .ShouldNot().HaveDependencyOnAny(forbidden)
            .GetResult();

        var offenders = (result.FailingTypes ?? [])
            .Select(type => $"{type.FullName} -> {type.Explanation}")
            .Order(StringComparer.Ordinal)
            .ToList();
        foreach (var offender in offenders)
        {
            output.WriteLine(offender);
        }
        Assert.True(result.IsSuccessful,
            $"{folder} may use only [{string.Join(", ", MayUse[folder])}], but:\n{string.Join("\n", offenders)}");
    }

    [Fact]
    public void Every_folder_has_a_place_in_the_layering()
    {
        var folders = Daemon.GetTypes()
            .Select(type => type.Namespace)
            .Where(ns => ns is not null && ns.StartsWith(Root + ".", StringComparison.Ordinal))
            .Select(ns => ns!.Split('.')[1])
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();

        var unplaced = folders.Where(folder => !MayUse.ContainsKey(folder)).ToList();
        Assert.True(unplaced.Count == 0, $"folders missing from the layering table: {string.Join(", ", unplaced)}");
        Assert.Contains("Core", folders);
    }

    [Fact]
    public void The_search_sees_a_dependency_that_exists()
    {
        // A control: Hosting composes the listeners, so the search must find that use; if it found nothing, the
        // layering test above would pass for the wrong reason.
        var users = Types.InAssembly(Daemon)
            .That().ResideInNamespace($"{Root}.Hosting")
            .And().HaveDependencyOnAny($"{Root}.Listeners")
            .GetTypes();

        Assert.NotEmpty(users);
    }
}
