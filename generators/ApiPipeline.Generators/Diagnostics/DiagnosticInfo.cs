using System;
using System.Linq;
using ApiPipeline.Generators.Helpers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace ApiPipeline.Generators.Diagnostics;

/// <summary>A location as plain data (no syntax tree), so a model carrying it stays equatable and roots no compilation.</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

    public static LocationInfo? From(Location? location)
        => location is null || location.SourceTree is null
            ? null
            : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
}

/// <summary>A diagnostic as plain data.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, ImmutableEquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params string[] arguments)
        => new(descriptor.Id, LocationInfo.From(location), arguments.ToImmutableEquatableArray());

    public Diagnostic ToDiagnostic()
    {
        var descriptor = Id switch
        {
            DiagnosticDescriptors.NotPartialId => DiagnosticDescriptors.NotPartial,
            DiagnosticDescriptors.NoExtractorInterfaceId => DiagnosticDescriptors.NoExtractorInterface,
            DiagnosticDescriptors.UnboundPlaceholderId => DiagnosticDescriptors.UnboundPlaceholder,
            DiagnosticDescriptors.MissingJsonContextId => DiagnosticDescriptors.MissingJsonContext,
            DiagnosticDescriptors.UnsupportedShapeId => DiagnosticDescriptors.UnsupportedShape,
            DiagnosticDescriptors.InvalidEndpointId => DiagnosticDescriptors.InvalidEndpoint,
            _ => DiagnosticDescriptors.Find(Id) ?? throw new InvalidOperationException("Unknown diagnostic " + Id),
        };
        return Diagnostic.Create(descriptor, Location?.ToLocation(), Arguments.Cast<object>().ToArray());
    }
}

/// <summary>Reporting <see cref="DiagnosticInfo"/>s from a source output.</summary>
internal static class DiagnosticReporting
{
    /// <summary>Reports every diagnostic of <paramref name="diagnostics"/>.</summary>
    public static void Report(this SourceProductionContext context, ImmutableEquatableArray<DiagnosticInfo> diagnostics)
    {
        foreach (var diagnostic in diagnostics)
        {
            context.ReportDiagnostic(diagnostic.ToDiagnostic());
        }
    }
}
