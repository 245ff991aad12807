using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using ApiPipeline.Generators.Diagnostics;
using ApiPipeline.Generators.Helpers;
using ApiPipeline.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ApiPipeline.Generators;

public sealed partial class PipelineGenerator
{
    /// <content>Reads <c>[TimeWindows]</c> into <c>TimeWindowOptions</c> initializers.</content>
    internal static partial class Parser
    {
        private const string TimeWindowsAttributeName = "ApiPipeline.TimeWindowsAttribute";

        /// <summary>
        /// The <c>TimeWindows</c> strategy's initializers, or <see langword="null"/> without <c>[TimeWindows]</c>. Windows travel as the
        /// watermark's two query parameters, so they need a timestamp <c>[Watermark]</c> with <c>Param</c> and <c>UntilParam</c>;
        /// <c>MaxResults</c> needs the total in the response (<c>[Paginated(TotalPath = …)]</c>). Anything else adds APP0008.
        /// (A <c>Size</c> that is not a duration is the analyzers' APP1501.)
        /// </summary>
        private static ImmutableEquatableArray<PropertyInit>? ParseTimeWindows(INamedTypeSymbol type, ImmutableEquatableArray<PropertyInit>? watermark, IEnumerable<PropertyInit> pagination, string name, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
        {
            var attribute = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == TimeWindowsAttributeName);
            if (attribute is null)
            {
                return null;
            }

            var location = (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax)?.GetLocation();
            var inits = new List<PropertyInit>();
            int maxResults = 0;
            foreach (var argument in attribute.NamedArguments)
            {
                switch (argument.Key)
                {
                    case "Size" when argument.Value.Value is string size:
                        inits.Add(new("Size", $"global::ApiPipeline.Duration.Parse({SymbolDisplay.FormatLiteral(size, quote: true)})"));
                        break;
                    case "Offset" when argument.Value.Value is string offset:
                        inits.Add(new("Offset", $"global::ApiPipeline.Duration.Parse({SymbolDisplay.FormatLiteral(offset, quote: true)})"));
                        break;
                    case "MaxConcurrent" when argument.Value.Value is int concurrent:
                        if (concurrent < 1)
                        {
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidTimeWindows, location, name, $"MaxConcurrent must be 1 or more, not {concurrent}"));
                            return null;
                        }

                        inits.Add(new("MaxConcurrent", concurrent.ToString(CultureInfo.InvariantCulture)));
                        break;
                    case "MaxResults" when argument.Value.Value is int results:
                        if (results < 0)
                        {
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidTimeWindows, location, name, $"MaxResults must be 0 (no cap) or more, not {results}"));
                            return null;
                        }

                        maxResults = results;
                        inits.Add(new("MaxResults", results.ToString(CultureInfo.InvariantCulture)));
                        break;
                }
            }

            string? problem = watermark switch
            {
                null => "it needs a [Watermark] on a DateTimeOffset or DateTime member of the record, whose Param and UntilParam carry each window's bounds, e.g. [Watermark(nameof(Issue.UpdatedAt), Param = \"since\", UntilParam = \"until\")]",
                _ when watermark.Any(i => i.Name == "Kind") => "its [Watermark] is on a number; time windows need a DateTimeOffset or DateTime watermark",
                _ when !watermark.Any(i => i.Name == "Param") || !watermark.Any(i => i.Name == "UntilParam") => "its [Watermark] must set both Param and UntilParam, the query parameters that carry each window's start and end, e.g. Param = \"since\", UntilParam = \"until\"",
                _ when maxResults > 0 && !pagination.Any(i => i.Name == "TotalPath") => $"MaxResults = {maxResults} needs the number of results in the response to tell when a window is too deep; set [Paginated(TotalPath = \"total_count\")] to where the response holds it",
                _ => null,
            };
            if (problem is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidTimeWindows, location, name, problem));
                return null;
            }

            return inits.ToImmutableEquatableArray();
        }
    }
}
