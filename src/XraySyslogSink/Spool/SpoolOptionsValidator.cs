using XraySyslogSink.Core;

namespace XraySyslogSink.Spool;

internal sealed class SpoolOptionsValidator() : SectionValidator<SpoolOptions>(SpoolOptions.SectionName)
{
    protected override void ValidateMore(SpoolOptions options, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(options.Directory))
        {
            failures.Add($"{Key(nameof(options.Directory))} must name a directory for the spool files");
        }

        if (string.IsNullOrWhiteSpace(options.CollectorId) || options.CollectorId.Length > 200)
        {
            failures.Add($"{Key(nameof(options.CollectorId))} must be 1 to 200 characters naming this collector (got '{options.CollectorId}')");
        }

        RequirePositive(options.SyncInterval, nameof(options.SyncInterval), failures);
        if (options.SyncInterval > TimeSpan.FromSeconds(10))
        {
            failures.Add($"{Key(nameof(options.SyncInterval))} must be at most 00:00:10, the loss window it sets (got {options.SyncInterval})");
        }
    }
}
