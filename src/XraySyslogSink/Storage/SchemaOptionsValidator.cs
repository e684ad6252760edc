using XraySyslogSink.Core;

namespace XraySyslogSink.Storage;

internal sealed class SchemaOptionsValidator() : SectionValidator<SchemaOptions>(SchemaOptions.SectionName)
{
    protected override void ValidateMore(SchemaOptions options, List<string> failures)
    {
        foreach ((string name, string role) in (ReadOnlySpan<(string, string)>)[(nameof(options.WriterRole), options.WriterRole), (nameof(options.ReaderRole), options.ReaderRole)])
        {
            if (!SchemaMigrator.IsValidRoleName(role))
            {
                failures.Add($"{Key(name)} must be empty or a role name of letters, digits and _ (at most 63, not starting with a digit; got '{role}')");
            }
        }
    }
}
