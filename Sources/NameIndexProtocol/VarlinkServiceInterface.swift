/// The standard `org.varlink.service` interface every varlink service provides.
public enum VarlinkServiceInterface {
    public static let name = "org.varlink.service"

    public enum Method: String, CaseIterable, Sendable {
        case getInfo = "GetInfo"
        case getInterfaceDescription = "GetInterfaceDescription"

        public var qualifiedName: String { "\(VarlinkServiceInterface.name).\(rawValue)" }
    }

    public struct GetInfoReply: Codable, Sendable, Equatable {
        public var vendor: String
        public var product: String
        public var version: String
        public var url: String
        public var interfaces: [String]

        public init(vendor: String, product: String, version: String, url: String, interfaces: [String]) {
            self.vendor = vendor
            self.product = product
            self.version = version
            self.url = url
            self.interfaces = interfaces
        }
    }

    public struct GetInterfaceDescriptionParameters: Codable, Sendable, Equatable {
        public var interface: String
        public init(interface: String) { self.interface = interface }
    }

    public struct GetInterfaceDescriptionReply: Codable, Sendable, Equatable {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// The definition text of `org.varlink.service`, as varlink.org publishes it.
    public static let definition = """
        # The Varlink Service Interface is provided by every varlink service. It
        # describes the service and the interfaces it implements.
        interface org.varlink.service

        # Get a list of all the interfaces a service provides and information
        # about the implementation.
        method GetInfo() -> (
          vendor: string,
          product: string,
          version: string,
          url: string,
          interfaces: []string
        )

        # Get the description of an interface that is implemented by this service.
        method GetInterfaceDescription(interface: string) -> (description: string)

        # The requested interface was not found.
        error InterfaceNotFound (interface: string)

        # The requested method was not found
        error MethodNotFound (method: string)

        # The interface defines the requested method, but the service does not
        # implement it.
        error MethodNotImplemented (method: string)

        # One of the passed parameters is invalid.
        error InvalidParameter (parameter: string)

        """
}
