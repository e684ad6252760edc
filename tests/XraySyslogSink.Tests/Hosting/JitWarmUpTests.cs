using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Hosting;

namespace XraySyslogSink.Tests.Hosting;

/// <summary>
/// The start-up warm-up prepares the per-row code of the hot folders and the generic instantiations it uses, counts
/// what it cannot prepare instead of throwing, and is skipped with <c>Runtime:JitWarmUp=false</c>.
/// </summary>
public sealed class JitWarmUpTests
{
    private static readonly Assembly Daemon = typeof(JitWarmUp).Assembly;

    [Fact]
    public void It_prepares_the_hot_folders_methods_and_the_instantiations_their_code_makes()
    {
        var prepared = new List<MethodBase>();

        JitWarmUpResult result = JitWarmUp.Run(JitWarmUp.HotTypes(Daemon), (method, _) => prepared.Add(method));

        Assert.Equal(0, result.Failed);
        Assert.Empty(result.FailureSamples);
        Assert.True(result.Types > 100, $"{result.Types} types walked");
        Assert.Equal(result.Prepared, prepared.Count);
        Assert.True(result.Skipped > 0, "interfaces' abstract methods count as skipped");
        // Every hot folder's own methods, the per-row parse among them.
        foreach (string folder in JitWarmUp.HotFolders)
        {
            Assert.Contains(prepared, method => method.DeclaringType?.Namespace == $"{nameof(XraySyslogSink)}.{folder}");
        }

        // An async method's box: a framework type instantiated over our state machine, driven through an interface.
        Assert.Contains(prepared, method => method.DeclaringType is { IsConstructedGenericType: true } type
            && type.Assembly == typeof(object).Assembly
            && type.Name.StartsWith("AsyncStateMachineBox", StringComparison.Ordinal)
            && type.GenericTypeArguments.Any(argument => argument.Assembly == Daemon)
            && method.Name == "MoveNext");
        // Nothing outside the hot folders' reach: the commands compile at their first use, and so do the cold parts.
        Assert.DoesNotContain(prepared, method => method.DeclaringType?.Namespace is "XraySyslogSink.Cli" or "XraySyslogSink.Import");
        Assert.DoesNotContain(prepared, method => JitWarmUp.ColdNamespaces.Contains(method.DeclaringType?.Namespace));
    }

    [Fact]
    public void After_the_warm_up_the_first_call_compiles_nothing()
    {
        var prepared = new List<MethodBase>();

        JitWarmUpResult result = JitWarmUp.Run([typeof(WarmUpTarget)], (method, _) => prepared.Add(method));
        long before = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true);
        int sum = WarmUpTarget.Sum(3);
        long compiled = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true) - before;

        Assert.Equal(3, sum);
        Assert.Equal(0, result.Failed);
        // The instantiation over the test's own struct, found in the IL of the method that makes it.
        Assert.Contains(prepared, method => method.DeclaringType == typeof(List<WarmUpItem>) && method.Name == nameof(List<WarmUpItem>.Add));
        Assert.Equal(0, compiled);
    }

    [Fact]
    public void Every_hot_folder_and_cold_namespace_still_exists()
    {
        foreach (string folder in JitWarmUp.HotFolders)
        {
            Assert.Contains(JitWarmUp.HotTypes(Daemon), type => type.Namespace == $"{nameof(XraySyslogSink)}.{folder}");
        }

        Type[] known = [.. Daemon.GetTypes(), .. typeof(Enumerable).Assembly.GetTypes()];
        foreach (string cold in JitWarmUp.ColdNamespaces)
        {
            Assert.Contains(known, type => type.Namespace == cold);
        }
    }

    [Fact]
    public async Task The_service_warms_up_before_its_start_returns()
    {
        using var service = new JitWarmUpService(Options.Create(new RuntimeOptions()), new FakeTimeProvider(), NullLogger<JitWarmUpService>.Instance);

        await service.StartingAsync(CancellationToken.None);
        await service.StartAsync(CancellationToken.None);

        Assert.NotNull(service.Result);
        Assert.True(service.Result.Prepared > 1000, $"{service.Result.Prepared} methods prepared");
        Assert.Equal(0, service.Result.Failed);
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task With_the_setting_off_the_service_skips_the_warm_up()
    {
        using var service = new JitWarmUpService(
            Options.Create(new RuntimeOptions { JitWarmUp = false }), new FakeTimeProvider(), NullLogger<JitWarmUpService>.Instance);

        await service.StartingAsync(CancellationToken.None);
        await service.StartAsync(CancellationToken.None);

        Assert.Null(service.Result);
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public void The_setting_is_read_from_the_runtime_section()
    {
        Microsoft.Extensions.Configuration.IConfigurationRoot configuration = SinkHost.BuildConfiguration(["--Runtime:JitWarmUp=false"]);
        var options = new RuntimeOptions();
        Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(configuration.GetSection(RuntimeOptions.SectionName), options);

        Assert.False(options.JitWarmUp);
        Assert.True(new RuntimeOptions().JitWarmUp);
    }

    /// <summary>Code nothing else in the test run calls, so its first call is really its first.</summary>
    private static class WarmUpTarget
    {
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static int Sum(int count)
        {
            var items = new List<WarmUpItem>();
            for (int i = 0; i < count; i++)
            {
                items.Add(new WarmUpItem(i, 1));
            }

            int sum = 0;
            foreach (WarmUpItem item in items)
            {
                sum += item.Weight;
            }

            return sum;
        }
    }

    private readonly record struct WarmUpItem(int Index, int Weight);
}
