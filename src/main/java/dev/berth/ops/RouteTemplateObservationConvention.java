package dev.berth.ops;

import dev.berth.api.RegistryController;
import dev.berth.api.RegistryRoute;
import io.micrometer.common.KeyValue;
import org.springframework.http.server.observation.DefaultServerRequestObservationConvention;
import org.springframework.http.server.observation.ServerRequestObservationContext;
import org.springframework.stereotype.Component;

/**
 * Tags HTTP server metrics with the API route's template ({@code /v2/{name}/blobs/{digest}}), never the
 * request's repository, digest or upload id, so the number of series stays bounded.
 */
@Component
class RouteTemplateObservationConvention extends DefaultServerRequestObservationConvention {

    @Override
    protected KeyValue uri(ServerRequestObservationContext context) {
        Object route = context.getCarrier().getAttribute(RegistryController.ROUTE_ATTRIBUTE);
        if (route instanceof RegistryRoute registryRoute) {
            return KeyValue.of("uri", registryRoute.kind().template());
        }
        return super.uri(context);
    }
}
