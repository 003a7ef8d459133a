namespace Kivi.Core.Tests; public class Placeholder {}
