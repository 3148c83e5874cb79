package dev.berth.api;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Serves {@code /v2} and everything below it. Filters (access control, metrics, the API version header)
 * apply as to any servlet; failures get the spec's error body from {@link OciErrorHandler}.
 */
final class RegistryServlet extends HttpServlet {

    private final transient RegistryController controller;
    private final transient OciErrorHandler errors;

    RegistryServlet(RegistryController controller, OciErrorHandler errors) {
        this.controller = controller;
        this.errors = errors;
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        try {
            controller.handle(request, response);
        } catch (Exception e) {
            errors.handle(e, request, response);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class Registration {

        @Bean
        ServletRegistrationBean<RegistryServlet> registryServlet(RegistryController controller, OciErrorHandler errors) {
            ServletRegistrationBean<RegistryServlet> registration =
                    new ServletRegistrationBean<>(new RegistryServlet(controller, errors), "/v2", "/v2/*");
            registration.setName("registry");
            registration.setLoadOnStartup(1);
            return registration;
        }
    }
}
