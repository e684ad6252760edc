using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace XraySyslogSink.Core;

/// <summary>
/// Checks an options class at start and names every offending key as the operator writes it
/// (<c>Writer:BatchSize</c>), which the stock data-annotation messages do not.
/// </summary>
internal abstract class SectionValidator<TOptions> : IValidateOptions<TOptions>
    where TOptions : class
{
    protected SectionValidator(string sectionName) => SectionName = sectionName;

    protected string SectionName { get; }

    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        List<string> failures = [];
        foreach (PropertyInfo property in typeof(TOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            RangeAttribute? range = property.GetCustomAttribute<RangeAttribute>();
            if (range is not null && !range.IsValid(property.GetValue(options)))
            {
                failures.Add(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{Key(property.Name)} must be between {range.Minimum} and {range.Maximum} (got {property.GetValue(options)})"));
            }
        }

        ValidateMore(options, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    protected string Key(string property) => $"{SectionName}:{property}";

    protected void RequirePositive(TimeSpan value, string property, List<string> failures)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{Key(property)} must be a positive time span such as 00:00:01 (got {value})");
        }
    }

    protected virtual void ValidateMore(TOptions options, List<string> failures)
    {
    }
}
