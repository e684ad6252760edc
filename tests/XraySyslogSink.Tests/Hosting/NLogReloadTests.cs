using Microsoft.Extensions.Configuration;
using NLog;
using NLog.Config;
using NLog.Targets;
using XraySyslogSink.Hosting.Reload;

namespace XraySyslogSink.Tests.Hosting;

/// <summary>NLog.config is re-read on reload: an unchanged file is left alone, a changed level applies, a broken file is refused and the old rules stay.</summary>
public sealed class NLogReloadTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"xraysink-nlog-{Guid.NewGuid():N}.config");
    private readonly IConfiguration _configuration = new ConfigurationBuilder().Build();

    [Fact]
    public void A_changed_level_applies_after_reload_and_a_broken_file_keeps_the_old_rules()
    {
        WriteConfig("Info");
        LogManager.Configuration = new XmlLoggingConfiguration(_path);
        Logger logger = LogManager.GetLogger("XraySyslogSink.Tests.NLogReload");
        logger.Debug("before");
        Assert.Empty(Memory().Logs);

        var reload = new NLogReload(_path);
        Assert.Null(reload.Prepare(_configuration, []));
        WriteConfig("Debug");
        List<string> failures = [];
        Action? apply = reload.Prepare(_configuration, failures);
        Assert.Empty(failures);
        Assert.NotNull(apply);
        apply();
        logger.Debug("after");
        Assert.Equal(["DEBUG after"], Memory().Logs);

        File.WriteAllText(_path, "<nlog><rules><logger name=\"*\" minlevel=\"Debug\" writeTo=\"memory\"");
        Assert.Null(reload.Prepare(_configuration, failures));
        Assert.StartsWith(_path + ": ", Assert.Single(failures), StringComparison.Ordinal);
        logger.Debug("still");
        Assert.Equal(["DEBUG after", "DEBUG still"], Memory().Logs);
    }

    public void Dispose()
    {
        LogManager.Configuration = null;
        File.Delete(_path);
    }

    private static MemoryTarget Memory() =>
        LogManager.Configuration?.FindTargetByName<MemoryTarget>("memory") ?? throw new InvalidOperationException("no memory target");

    private void WriteConfig(string level) => File.WriteAllText(_path, $"""
        <?xml version="1.0" encoding="utf-8" ?>
        <nlog xmlns="http://www.nlog-project.org/schemas/NLog.xsd" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" throwConfigExceptions="true">
          <targets><target xsi:type="Memory" name="memory" layout="{"${level:uppercase=true} ${message}"}" /></targets>
          <rules><logger name="*" minlevel="{level}" writeTo="memory" /></rules>
        </nlog>
        """);
}
