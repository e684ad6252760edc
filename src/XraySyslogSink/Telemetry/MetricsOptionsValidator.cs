using System.Net;
using XraySyslogSink.Core;

namespace XraySyslogSink.Telemetry;

internal sealed class MetricsOptionsValidator() : SectionValidator<MetricsOptions>(MetricsOptions.SectionName)
{
    protected override void ValidateMore(MetricsOptions options, List<string> failures)
    {
        if (!ListenAddress.TryParse(options.Listen, out IPEndPoint? endPoint, out string? error))
        {
            failures.Add($"{Key(nameof(options.Listen))}: {error}");
        }
        else if (endPoint is not null && endPoint.Port == 0)
        {
            failures.Add($"{Key(nameof(options.Listen))}: '{options.Listen}' needs a fixed port (the default is 127.0.0.1:9464)");
        }

        RequirePositive(options.HealthDatabaseCacheDuration, nameof(options.HealthDatabaseCacheDuration), failures);
        RequirePositive(options.HealthDatabaseTimeout, nameof(options.HealthDatabaseTimeout), failures);
    }
}
